/**
 * Pub/sub port with Dapr's semantics: CloudEvents published to named topics, handlers that answer
 * SUCCESS, RETRY or DROP, at-least-once delivery (so every handler is idempotent), no wildcards.
 * A handler that throws means RETRY: an event is never acknowledged silently.
 */
import { inSpan, inSpansOf, parseTraceparent, tracingEnabled } from '../../../common/trace-context.ts';
import type { Logger } from '../logger.ts';
import { measuredHandler } from '../observability/metrics.ts';

export interface CloudEvent<T = unknown> {
  id: string;
  source: string;
  type: string;
  specversion: '1.0';
  datacontenttype: 'application/json';
  time: string;
  topic: string;
  pubsubname: string;
  data: T;
  /** The publisher's trace: a bare W3C trace id (this project's publishers) or a traceparent (Dapr's). */
  traceid?: string;
  /** Dapr's W3C traceparent of the delivery, when its tracing is on. */
  traceparent?: string;
}

export type DeliveryResult = 'SUCCESS' | 'RETRY' | 'DROP';

export interface Subscription<T = unknown> {
  pubsubName: string;
  topic: string;
  /**
   * `app` (default): the app's replicas share the topic, each event goes to one of them, and events
   * published while the app is down wait for it (a durable consumer). `instance`: a topic only this
   * process reads (a gateway's delivery topic); nothing waits for an instance that is gone.
   */
  scope?: 'app' | 'instance';
  handle(event: CloudEvent<T>): Promise<DeliveryResult>;
  /**
   * Bulk delivery (Dapr's bulk subscribe): the adapter hands over up to `maxMessages` events at once,
   * collected for at most `maxAwaitMs`, and the handler answers each entry, in order. Every event
   * still settles on its own: a RETRY entry alone is redelivered (possibly in another batch). A
   * subscription with `bulk` still has `handle`, for a delivery of one.
   */
  bulk?: BulkDelivery<T>;
}

export interface BulkDelivery<T = unknown> {
  maxMessages: number;
  maxAwaitMs: number;
  handle(events: CloudEvent<T>[]): Promise<DeliveryResult[]>;
}

export interface PublishOptions {
  traceId?: string;
  /** CloudEvent type; defaults to `com.anychat.<topic>`. */
  type?: string;
}

export interface PubSubPort {
  publish<T>(pubsubName: string, topic: string, data: T, options?: PublishOptions): Promise<void>;
}

export class PublishError extends Error {
  override name = 'PublishError';
}

/**
 * The trace an event was published in. The publisher's trace id first: Dapr's traceparent may be a
 * trace of its own (the publish request to the sidecar carries none), and then only gives the
 * parent span when the ids agree.
 */
function traceOf(event: CloudEvent): { traceId?: string; parentSpanId?: string } {
  const named = parseTraceparent(event.traceid);
  const sidecar = parseTraceparent(event.traceparent);
  const traceId = named?.traceId ?? sidecar?.traceId;
  const parentSpanId = sidecar?.traceId === traceId ? sidecar?.parentSpanId : named?.parentSpanId;
  return { ...(traceId ? { traceId } : {}), ...(parentSpanId ? { parentSpanId } : {}) };
}

/** The traceparent a delivery continues (traceOf's choice), as the W3C header or a bare trace id. */
function parentOf(event: CloudEvent): string | undefined {
  const { traceId, parentSpanId } = traceOf(event);
  if (!traceId) return undefined;
  // The sidecar's (or publisher's) traceparent as sent, keeping its sampled flag.
  if (parseTraceparent(event.traceparent)?.parentSpanId === parentSpanId && parentSpanId)
    return event.traceparent;
  if (parseTraceparent(event.traceid)?.parentSpanId === parentSpanId && parentSpanId) return event.traceid;
  return traceId;
}

/**
 * Runs a handler and turns an exception into RETRY, never into a silent SUCCESS. The handler runs in
 * a span of the publisher's trace (its log lines carry the trace id); `logger` gets each delivery at debug.
 */
export async function runHandler<T>(
  subscription: Subscription<T>,
  event: CloudEvent<T>,
  onError: (error: unknown) => void,
  logger?: Logger,
): Promise<DeliveryResult> {
  const span = {
    kind: 'consumer' as const,
    parent: parentOf(event),
    attributes: { 'messaging.destination.name': subscription.topic },
  };
  return inSpan(`${subscription.topic} process`, span, async () => {
    const [result] = await measuredHandler(subscription.topic, async () => {
      try {
        const answer = await subscription.handle(event);
        return [answer === 'SUCCESS' || answer === 'DROP' || answer === 'RETRY' ? answer : 'RETRY'];
      } catch (error) {
        onError(error);
        return ['RETRY' as const];
      }
    });
    logger?.debug({ topic: subscription.topic, eventId: event.id, result }, 'event handled');
    return result!;
  });
}

/**
 * Runs a bulk handler: one answer per event, in order. A throw means RETRY for every entry; an
 * answer missing or not one of the three means RETRY for that entry. The events of a batch come
 * from many traces: the batch is a trace of its own, linked to each event's; each event's trace
 * holds a `<topic> process` span of its own for the batch (tracing on), linked back to it; and the
 * batch's debug line names the events' trace ids (`traceIds`).
 */
export async function runBulkHandler<T>(
  bulk: BulkDelivery<T>,
  events: CloudEvent<T>[],
  onError: (error: unknown) => void,
  logger?: Logger,
): Promise<DeliveryResult[]> {
  const topic = events[0]?.topic ?? 'unknown';
  // Each event's trace links to the batch (tracing on only: the links cost a parse per event).
  const links = tracingEnabled() ? events.flatMap((event) => parentOf(event) ?? []) : [];
  return inSpan(
    `${topic} process batch`,
    { kind: 'consumer', links, attributes: { 'messaging.batch.message_count': events.length } },
    async () => {
      const results = await inSpansOf(
        `${topic} process`,
        links,
        { 'messaging.destination.name': topic, 'messaging.batch.message_count': events.length },
        () =>
          measuredHandler(topic, async () => {
            try {
              const answers = await bulk.handle(events);
              return events.map((_, index) => {
                const result = answers[index];
                return result === 'SUCCESS' || result === 'DROP' || result === 'RETRY' ? result : 'RETRY';
              });
            } catch (error) {
              onError(error);
              return events.map(() => 'RETRY' as const);
            }
          }),
      );
      logger?.debug(
        {
          topic: events[0]?.topic,
          size: events.length,
          traceIds: [...new Set(events.flatMap((event) => traceOf(event).traceId ?? []))],
          retried: results.filter((result) => result === 'RETRY').length,
        },
        'events handled',
      );
      return results;
    },
  );
}
