import { randomUUID } from 'node:crypto';
import { currentTrace, inSpan, traceparentFor, tracingEnabled } from '../../../../common/trace-context.ts';
import type { Logger } from '../../logger.ts';
import { droppedEvents } from '../delivery-metrics.ts';
import {
  type CloudEvent,
  type DeliveryResult,
  type PublishOptions,
  type PubSubPort,
  runBulkHandler,
  runHandler,
  type Subscription,
} from '../pubsub.ts';

export interface EmbeddedBusOptions {
  /** First redelivery delay; doubles on each attempt up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Deliveries given up after this many attempts are logged as dead letters. */
  maxAttempts?: number;
}

interface ConsumerGroup {
  members: Subscription[];
  next: number;
  /** Events waiting for a bulk delivery (members with `bulk`); made on first use. */
  bulk?: BulkQueue;
}

interface BulkQueue {
  waiting: Array<{ event: CloudEvent; attempt: number }>;
  timer: NodeJS.Timeout | undefined;
  /** One batch at a time per app: what arrives meanwhile forms the next one. */
  running: boolean;
}

/**
 * In-process pub/sub with the broker's semantics: publish returns before delivery, every consumer
 * group (app-id) gets each event once per attempt, RETRY or a thrown handler redelivers with backoff,
 * DROP and SUCCESS settle it. Several subscribers of one app-id compete, as replicas do. A bulk
 * subscription gets its events in batches, as Dapr's bulk subscribe hands them over: up to its
 * `maxMessages`, after at most `maxAwaitMs`, one batch at a time per app, each entry settled alone.
 * Nothing survives the process: like any broker in AnyChat, it is a fast path, never the record.
 */
export class EmbeddedBus {
  readonly #groups = new Map<string, Map<string, ConsumerGroup>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];
  #closed = false;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #maxAttempts: number;

  private readonly logger: Logger;

  constructor(logger: Logger, options: EmbeddedBusOptions = {}) {
    this.logger = logger;
    this.#retryDelayMs = options.retryDelayMs ?? 50;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
    this.#maxAttempts = options.maxAttempts ?? 30;
  }

  /** A publisher bound to the app-id that appears as the CloudEvent source. */
  port(appId: string): PubSubPort {
    return {
      publish: (pubsubName, topic, data, options) => this.publish(appId, pubsubName, topic, data, options),
    };
  }

  subscribe(appId: string, subscription: Subscription): () => void {
    const topicKey = `${subscription.pubsubName}/${subscription.topic}`;
    let groups = this.#groups.get(topicKey);
    if (!groups) {
      groups = new Map();
      this.#groups.set(topicKey, groups);
    }
    let group = groups.get(appId);
    if (!group) {
      group = { members: [], next: 0 };
      groups.set(appId, group);
    }
    group.members.push(subscription);
    return () => {
      group.members = group.members.filter((member) => member !== subscription);
      // The app is gone from this bus (a stopped host): its events are not kept for it.
      if (group.members.length === 0 && groups.get(appId) === group) groups.delete(appId);
    };
  }

  publish<T>(source: string, pubsubName: string, topic: string, data: T, options: PublishOptions = {}) {
    return inSpan(
      `${topic} publish`,
      {
        kind: 'producer',
        attributes: { 'messaging.system': 'anychat-embedded', 'messaging.destination.name': topic },
      },
      async () => this.#publish(source, pubsubName, topic, data, options),
    );
  }

  #publish<T>(source: string, pubsubName: string, topic: string, data: T, options: PublishOptions) {
    if (this.#closed) throw new Error('embedded bus is closed');
    // Published while handling something: the event goes on in that trace, and its traceparent
    // (as a sidecar's would) names the publish as the delivery's parent.
    const traceId = options.traceId ?? currentTrace()?.traceId;
    const event: CloudEvent<T> = {
      id: randomUUID(),
      source,
      type: options.type ?? `com.anychat.${topic}`,
      specversion: '1.0',
      datacontenttype: 'application/json',
      time: new Date().toISOString(),
      topic,
      pubsubname: pubsubName,
      // Same JSON round-trip as a real broker: no shared references, no Dates, no undefined.
      data: JSON.parse(JSON.stringify(data ?? null)),
      ...(traceId ? { traceid: traceId } : {}),
      ...(tracingEnabled() && traceId && currentTrace()?.traceId === traceId
        ? { traceparent: traceparentFor(traceId) }
        : {}),
    };
    for (const group of this.#groups.get(`${pubsubName}/${topic}`)?.values() ?? []) {
      this.#schedule(group, event, 1, 0);
    }
  }

  /** Resolves when no delivery is running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops redeliveries; pending events are dropped (they are not the record). */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#inFlight = 0;
    this.#settle();
  }

  #schedule(group: ConsumerGroup, event: CloudEvent, attempt: number, delayMs: number): void {
    this.#inFlight++;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (group.members[0]?.bulk) {
        group.bulk ??= { waiting: [], timer: undefined, running: false };
        group.bulk.waiting.push({ event, attempt });
        this.#pumpBulk(group, group.bulk);
      } else void this.#deliver(group, event, attempt);
    }, delayMs);
    this.#timers.add(timer);
  }

  /** Starts a batch when one is full, or arms the wait for more. */
  #pumpBulk(group: ConsumerGroup, queue: BulkQueue): void {
    if (queue.running || queue.waiting.length === 0) return;
    const bulk = group.members[0]?.bulk;
    if (bulk && queue.waiting.length < bulk.maxMessages) {
      if (!queue.timer) {
        queue.timer = setTimeout(() => {
          this.#timers.delete(queue.timer!);
          queue.timer = undefined;
          void this.#deliverBulk(group, queue);
        }, bulk.maxAwaitMs);
        this.#timers.add(queue.timer);
      }
      return;
    }
    void this.#deliverBulk(group, queue);
  }

  async #deliverBulk(group: ConsumerGroup, queue: BulkQueue): Promise<void> {
    if (queue.timer) {
      clearTimeout(queue.timer);
      this.#timers.delete(queue.timer);
      queue.timer = undefined;
    }
    const member = group.members[group.next++ % Math.max(group.members.length, 1)];
    if (!member?.bulk) {
      // Unsubscribed while the events waited: nobody of that app is left to take them.
      this.#inFlight -= queue.waiting.splice(0).length;
      this.#settle();
      return;
    }
    queue.running = true;
    const entries = queue.waiting.splice(0, member.bulk.maxMessages);
    const results = await runBulkHandler(
      member.bulk,
      entries.map((entry) => entry.event),
      (error) =>
        this.logger.warn(
          { err: error, topic: entries[0]?.event.topic, size: entries.length },
          'bulk subscriber threw; will retry the batch',
        ),
      this.logger,
    );
    if (this.#closed) return;
    entries.forEach(({ event, attempt }, index) => {
      this.#settleDelivery(group, event, attempt, results[index]!);
    });
    queue.running = false;
    // What arrived during the batch has waited already: it goes at once.
    if (queue.waiting.length > 0) void this.#deliverBulk(group, queue);
  }

  async #deliver(group: ConsumerGroup, event: CloudEvent, attempt: number): Promise<void> {
    const member = group.members[group.next++ % Math.max(group.members.length, 1)];
    if (!member) {
      // Unsubscribed while the event waited: nobody of that app is left to take it.
      this.#inFlight--;
      this.#settle();
      return;
    }
    const result = member
      ? await runHandler(
          member,
          event,
          (error) =>
            this.logger.warn(
              { err: error, topic: event.topic, eventId: event.id, attempt },
              'subscriber threw; will retry',
            ),
          this.logger,
        )
      : 'RETRY';
    if (this.#closed) return;
    this.#settleDelivery(group, event, attempt, result);
  }

  /** What an attempt's answer leads to: a redelivery with backoff, a dead letter, or done. */
  #settleDelivery(group: ConsumerGroup, event: CloudEvent, attempt: number, result: DeliveryResult): void {
    if (result === 'RETRY') {
      if (attempt >= this.#maxAttempts) {
        this.logger.error(
          { topic: event.topic, eventId: event.id, attempts: attempt },
          'event dropped after its delivery attempts ran out (poison event)',
        );
        droppedEvents.inc({ topic: event.topic, reason: 'retries_exhausted' });
      } else {
        const delay = Math.min(this.#retryDelayMs * 2 ** (attempt - 1), this.#maxRetryDelayMs);
        this.#schedule(group, event, attempt + 1, delay);
      }
    } else if (result === 'DROP') {
      this.logger.warn({ topic: event.topic, eventId: event.id }, 'subscriber dropped event');
      droppedEvents.inc({ topic: event.topic, reason: 'rejected' });
    }
    this.#inFlight--;
    this.#settle();
  }

  #settle(): void {
    if (this.#inFlight > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
