import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { PubSubPort } from '../../platform/ports/index.ts';
import { OutboxEvent } from '../entities.ts';

export interface OutboxDeps {
  orm: MikroORM;
  pubsub: PubSubPort;
  pubsubName: string;
  ids: SnowflakeGenerator;
  logger: Logger;
}

export interface PendingEvent {
  topic: string;
  payload: Record<string, unknown>;
}

interface Stored extends PendingEvent {
  id: string;
}

/** Rows published by one sweep; the sweep repeats while it finds full batches. */
const SWEEP_BATCH = 100;

/**
 * Transactional outbox. Events are written in the transaction of the change they report and
 * published right after it commits; what could not be published (broker down, process killed
 * between commit and publish) is published by the periodic sweep. Delivery is at-least-once:
 * subscribers tell repeats apart by the event's own id.
 */
export class Outbox {
  readonly #deps: OutboxDeps;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;

  constructor(deps: OutboxDeps) {
    this.#deps = deps;
  }

  /** Writes events inside the caller's transaction; returns what to hand to `publish` after commit. */
  async store(tx: EntityManager, events: PendingEvent[]): Promise<Stored[]> {
    if (events.length === 0) return [];
    const createdAt = new Date();
    const stored = events.map((event) => ({ id: this.#deps.ids.next(), ...event }));
    await tx.insertMany(
      OutboxEvent,
      stored.map((event) => ({ id: event.id, topic: event.topic, payload: event.payload, createdAt })),
    );
    return stored;
  }

  /** Publishes committed events and removes them from the outbox; failures stay for the sweep. */
  async publish(events: Stored[], em: EntityManager = this.#deps.orm.em.fork()): Promise<number> {
    const done: string[] = [];
    for (const event of events) {
      try {
        await this.#deps.pubsub.publish(this.#deps.pubsubName, event.topic, event.payload);
        done.push(event.id);
      } catch (error) {
        this.#deps.logger.warn(
          { err: error, topic: event.topic },
          'could not publish; the outbox sweep retries',
        );
        break;
      }
    }
    if (done.length > 0) await em.nativeDelete(OutboxEvent, { id: { $in: done } });
    return done.length;
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
      const { found, published } = await this.#deps.orm.em.fork().transactional(async (tx) => {
        const rows = await tx.execute<Array<{ id: string; topic: string; payload: Record<string, unknown> }>>(
          `select "id", "topic", "payload" from "friend"."outbox" where "created_at" < ?
           order by "created_at", "id" limit ${SWEEP_BATCH} for update skip locked`,
          [new Date(Date.now() - minAgeMs)],
        );
        const events = rows.map((row) => ({ id: String(row.id), topic: row.topic, payload: row.payload }));
        return { found: events.length, published: await this.publish(events, tx) };
      });
      total += published;
      if (found < SWEEP_BATCH || published < found) return total;
    }
  }

  /** Sweeps every `intervalMs` until stopped. */
  start(intervalMs: number): void {
    this.#timer = setInterval(() => {
      void this.sweep().catch((error: unknown) =>
        this.#deps.logger.warn({ err: error }, 'outbox sweep failed'),
      );
    }, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping?.catch(() => {});
  }
}
