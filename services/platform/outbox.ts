import type { DescMessage, JsonObject } from '@bufbuild/protobuf';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { type SqlExecutor, sqlExecutorOf } from './db/index.ts';
import { type EventInit, encodeEvent, type Topic } from './events/index.ts';
import type { SnowflakeGenerator } from './ids.ts';
import type { Logger } from './logger.ts';
import { outboxPublished, outboxPublishFailures, topicLabel } from './observability/metrics.ts';
import type { PubSubPort } from './ports/index.ts';
import { storableJson } from './text.ts';

/**
 * Transactional outbox. Events are written in the transaction of the change they report and
 * published right after it commits; what could not be published (broker down, process killed
 * between commit and publish) is published by the periodic sweep. Delivery is at-least-once:
 * subscribers tell repeats apart by the event's own id. Each service keeps the rows in its own
 * schema's `outbox` table (id bigint, topic, payload jsonb, created_at); the payload is the event's
 * proto3 JSON (platform/events), stored and published as it is.
 */

/**
 * An event for the outbox, made by outboxEvent only: its payload is its topic's message as proto3
 * JSON. A class with a private member, so that a hand-built `{topic, payload}` does not type-check.
 */
export class PendingEvent {
  readonly topic: string;
  readonly payload: JsonObject;
  declare private readonly encoded: true;

  private constructor(topic: string, payload: JsonObject) {
    this.topic = topic;
    this.payload = payload;
  }

  /** `payload` encoded as `topic`'s message. */
  static of<Desc extends DescMessage>(topic: Topic<Desc>, payload: EventInit<Desc>): PendingEvent {
    return new PendingEvent(topic, encodeEvent(topic, payload));
  }
}

/** An outbox event: `payload` encoded as `topic`'s message. */
export const outboxEvent = <Desc extends DescMessage>(topic: Topic<Desc>, payload: EventInit<Desc>) =>
  PendingEvent.of(topic, payload);

/** An outbox row: an event and its id, published as stored. */
export interface StoredEvent {
  readonly id: string;
  readonly topic: string;
  readonly payload: JsonObject;
}

export interface OutboxOptions {
  sql: SqlExecutor;
  /** Schema whose `outbox` table holds the rows. */
  schema: string;
  pubsub: PubSubPort;
  pubsubName: string;
  ids: SnowflakeGenerator;
  logger: Logger;
}

/** Rows published by one sweep; the sweep repeats while it finds full batches. */
const SWEEP_BATCH = 100;
/** Published rows are deleted in batches, at most this long after publishing. */
const DELETE_DELAY_MS = 100;

export class Outbox {
  readonly #o: OutboxOptions;
  readonly #table: string;
  readonly #published: string[] = [];
  #deleteTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;

  constructor(options: OutboxOptions) {
    this.#o = options;
    this.#table = `"${options.schema}"."outbox"`;
  }

  /** Gives events their ids; for callers that insert the rows themselves (a stored procedure). */
  prepare(events: PendingEvent[]): StoredEvent[] {
    return events.map(({ topic, payload }) => ({ id: this.#o.ids.next(), topic, payload }));
  }

  /** Writes events inside the caller's transaction; returns what to hand to `publish` after commit. */
  async store(tx: SqlExecutor, events: PendingEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    // What jsonb cannot hold is stored as U+FFFD; the events published are the rows as stored.
    const stored = storableJson(this.prepare(events));
    await tx.query(
      `insert into ${this.#table} ("id", "topic", "payload", "created_at")
       select (e->>'id')::bigint, e->>'topic', e->'payload', now() from jsonb_array_elements(?::jsonb) e`,
      [stored.json],
    );
    return stored.value;
  }

  /**
   * Publishes committed events, in order, stopping at the first failure (the rest wait for the
   * sweep). Within a sweep's transaction (`tx`) the rows go at once; otherwise in a batch shortly after.
   */
  async publish(events: StoredEvent[], tx?: SqlExecutor): Promise<number> {
    const done: string[] = [];
    for (const event of events) {
      try {
        await this.#o.pubsub.publish(this.#o.pubsubName, event.topic, event.payload);
        done.push(event.id);
        const topic = topicLabel(event.topic);
        outboxPublished.inc({ topic });
        // Its failures start at 0 too: "no failures" reads as 0 rather than as no series.
        outboxPublishFailures.inc({ topic }, 0);
      } catch (error) {
        outboxPublishFailures.inc({ topic: topicLabel(event.topic) });
        this.#o.logger.warn(
          { err: error, topic: event.topic },
          'could not publish; the outbox sweep retries',
        );
        break;
      }
    }
    if (done.length === 0) return 0;
    if (tx) await this.#delete(tx, done);
    else this.#queueDelete(done);
    return done.length;
  }

  #queueDelete(ids: string[]) {
    this.#published.push(...ids);
    if (this.#published.length >= SWEEP_BATCH) void this.#flushDeletes();
    else this.#deleteTimer ??= setTimeout(() => void this.#flushDeletes(), DELETE_DELAY_MS);
  }

  async #flushDeletes() {
    clearTimeout(this.#deleteTimer);
    this.#deleteTimer = undefined;
    const ids = this.#published.splice(0);
    if (ids.length === 0) return;
    // A row whose delete fails is published again by the sweep: at-least-once, as promised.
    await this.#delete(this.#o.sql, ids).catch((error: unknown) =>
      this.#o.logger.warn({ err: error }, 'published outbox rows not deleted; the sweep will repeat them'),
    );
  }

  async #delete(sql: SqlExecutor, ids: string[]) {
    await sql.query(
      `delete from ${this.#table} where "id" in (select x::bigint from jsonb_array_elements_text(?::jsonb) x)`,
      [JSON.stringify(ids)],
    );
  }

  /**
   * Publishes events older than `minAgeMs` that are still in the outbox. Rows are locked while
   * they are published (skip locked), so that several replicas sweeping at once do not repeat them.
   */
  async sweep(minAgeMs = 10_000): Promise<number> {
    this.#sweeping ??= this.#sweepAll(minAgeMs).finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #sweepAll(minAgeMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const { found, published } = await this.#o.sql.transaction(async (tx) => {
        const rows = await tx.query<{ id: string; topic: string; payload: JsonObject }>(
          `select "id"::text as "id", "topic", "payload" from ${this.#table} where "created_at" < ?
           order by "created_at", "id" limit ${SWEEP_BATCH} for update skip locked`,
          [new Date(Date.now() - minAgeMs)],
        );
        return { found: rows.length, published: await this.publish(rows, tx) };
      });
      total += published;
      if (found < SWEEP_BATCH || published < found) return total;
    }
  }

  /** Sweeps every `intervalMs` until stopped. */
  start(intervalMs: number): void {
    this.#sweepTimer = setInterval(() => {
      void this.sweep().catch((error: unknown) => this.#o.logger.warn({ err: error }, 'outbox sweep failed'));
    }, intervalMs);
    this.#sweepTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    await this.#sweeping?.catch(() => {});
    await this.#flushDeletes();
  }
}

/**
 * Runs `work` in one transaction of a fresh fork of `orm`'s entity manager. The events `work`
 * pushes onto `events` are stored in `outbox` in that same transaction (after what `work` has
 * flushed; MikroORM flushes the rest at commit) and published once it has committed: a change
 * is announced only if it happened, and whatever the publish misses the sweep publishes later.
 */
export async function transactionalWithOutbox<T>(
  orm: MikroORM,
  outbox: Outbox,
  work: (tx: EntityManager, events: PendingEvent[]) => Promise<T>,
): Promise<T> {
  const { result, stored } = await orm.em.fork().transactional(async (tx) => {
    const events: PendingEvent[] = [];
    const result = await work(tx, events);
    return { result, stored: await outbox.store(sqlExecutorOf(tx), events) };
  });
  await outbox.publish(stored);
  return result;
}
