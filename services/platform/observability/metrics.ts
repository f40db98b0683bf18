import { Counter, Histogram, type Metric } from 'prom-client';
import { droppedEvents } from '../ports/delivery-metrics.ts';

/**
 * The platform's own metrics (pub/sub handlers, service invocation, outbox), shared by every
 * service of a process and registered into the host's /metrics registry. Labels are bounded sets
 * only (topics, contract methods, outcomes): never a user, message or device id.
 */

/** A gateway instance's delivery topic carries its instance id; the label keeps the family only. */
export function topicLabel(topic: string): string {
  return topic.startsWith('gateway.deliver.') ? 'gateway.deliver' : topic;
}

export const pubsubEventsHandled = new Counter({
  name: 'anychat_pubsub_events_handled_total',
  help: 'Pub/sub deliveries handled by a subscriber, by topic and answer (SUCCESS | RETRY | DROP); RETRY is a redelivery to come',
  labelNames: ['topic', 'result'] as const,
  registers: [],
});

export const pubsubHandlerDuration = new Histogram({
  name: 'anychat_pubsub_handler_duration_seconds',
  help: 'Time a subscriber took to handle one delivery (or one bulk batch), by topic',
  labelNames: ['topic'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [],
});

export const invokeDuration = new Histogram({
  name: 'anychat_invoke_duration_seconds',
  help: 'Service invocation (Dapr in a cluster, in-process when embedded) as seen by the caller, by target app, contract method and outcome',
  labelNames: ['app', 'method', 'outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [],
});

export const outboxPublished = new Counter({
  name: 'anychat_outbox_events_published_total',
  help: 'Events published from a service outbox after their transaction committed, by topic',
  labelNames: ['topic'] as const,
  registers: [],
});

export const outboxPublishFailures = new Counter({
  name: 'anychat_outbox_publish_failures_total',
  help: 'Outbox publishes that failed (left to the sweep), by topic',
  labelNames: ['topic'] as const,
  registers: [],
});

/** Times one handler run into the pub/sub metrics; `results` are its answers (one per event of a bulk). */
export async function measuredHandler<R extends string>(
  topic: string,
  run: () => Promise<R[]>,
): Promise<R[]> {
  const label = topicLabel(topic);
  const stop = pubsubHandlerDuration.startTimer({ topic: label });
  const results = await run();
  stop();
  for (const result of results) pubsubEventsHandled.inc({ topic: label, result });
  return results;
}

/**
 * Starts the per-topic series at zero for the topics a process subscribes to, so that "nothing
 * dropped" reads as 0 rather than as no series (an alert on a missing series never fires).
 */
export function initTopicMetrics(topics: string[]) {
  for (const topic of new Set(topics.map(topicLabel))) {
    for (const reason of ['rejected', 'retries_exhausted']) droppedEvents.inc({ topic, reason }, 0);
    for (const result of ['SUCCESS', 'RETRY', 'DROP']) pubsubEventsHandled.inc({ topic, result }, 0);
  }
}

/** Metrics every host registers, whatever services it runs. */
export const platformMetrics: Metric[] = [
  pubsubEventsHandled,
  pubsubHandlerDuration,
  invokeDuration,
  outboxPublished,
  outboxPublishFailures,
];
