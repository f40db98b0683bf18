export { type EventBulkSubscriptionSpec, eventBulkSubscription } from './bulk-subscription.ts';
export { EventPublisher } from './publisher.ts';
export { type EventSubscriptionSpec, eventSubscription } from './subscription.ts';
export {
  type DecodeResult,
  decodeEvent,
  definedTopics,
  type EventInit,
  type EventOf,
  encodeEvent,
  eventTopic,
  plainJson,
  type Topic,
  type TopicDefinition,
  topicDefinition,
} from './topic.ts';
