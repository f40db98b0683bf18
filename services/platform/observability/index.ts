export { dbPoolMetrics } from './db-pool.ts';
export {
  initTopicMetrics,
  invokeDuration,
  measuredHandler,
  outboxPublished,
  outboxPublishFailures,
  platformMetrics,
  pubsubEventsHandled,
  pubsubHandlerDuration,
  topicLabel,
} from './metrics.ts';
