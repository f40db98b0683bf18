import type { SqlExecutor } from '../../platform/db/index.ts';

/**
 * A claim only has to outlive redeliveries of its event (brokers redeliver within minutes; the
 * outbox sweep within seconds): two days is far past both.
 */
const CLAIM_HOURS = 48;

/** Keeps the push service's records bounded: old claims, logs and failures are deleted. */
export class PushRetention {
  readonly #sql: SqlExecutor;
  readonly #logDays: number;

  constructor(sql: SqlExecutor, logDays: number) {
    this.#sql = sql;
    this.#logDays = logDays;
  }

  async sweep(): Promise<void> {
    await this.#sql.query(
      `delete from "push"."push_deliveries" where "created_at" < now() - make_interval(hours => ?)`,
      [CLAIM_HOURS],
    );
    for (const table of ['push_logs', 'push_failures']) {
      await this.#sql.query(
        `delete from "push"."${table}" where "created_at" < now() - make_interval(days => ?)`,
        [this.#logDays],
      );
    }
  }
}
