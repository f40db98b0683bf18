import type { SqlExecutor } from '../../platform/db/index.ts';
import type { PushJob } from './dispatcher.ts';

/** How long an attempt holds its push: past it, the push of an attempt that died with its process is tried again. */
const LEASE_SECONDS = 60;

/** A push due for another attempt, and how many it has had. */
export interface DuePush {
  job: PushJob;
  attempts: number;
}

/**
 * The pushes not yet settled, in the database: what makes a push survive a restart. Claiming a
 * job (once per event and device, ever) and holding it for its first attempt is one statement;
 * a transient failure makes it due again later; any process takes due pushes, each leased to
 * one taker at a time.
 */
export class PendingPushes {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  /** Claims the jobs not claimed before and leases them to the caller; returns those it won. */
  async claim(jobs: PushJob[]): Promise<PushJob[]> {
    if (jobs.length === 0) return [];
    const rows = await this.#sql.query<{ event_id: string; device_id: string }>(
      `with "input" as (
         select * from jsonb_to_recordset(?::jsonb) as x("e" varchar, "d" varchar, "u" bigint, "j" jsonb)
       ), "claimed" as (
         insert into "push"."push_deliveries" ("event_id", "device_id", "user_id")
         select "e", "d", "u" from "input" on conflict do nothing returning "event_id", "device_id"
       )
       insert into "push"."push_pending" ("event_id", "device_id", "user_id", "job", "due_at", "lease_until")
       select i."e", i."d", i."u", i."j", now(), now() + make_interval(secs => ?)
       from "input" i join "claimed" c on c."event_id" = i."e" and c."device_id" = i."d"
       returning "event_id", "device_id"`,
      [
        JSON.stringify(
          jobs.map((job) => ({ e: job.eventId, d: job.target.deviceId, u: job.target.userId, j: job })),
        ),
        LEASE_SECONDS,
      ],
    );
    const won = new Set(rows.map((row) => `${row.event_id}\n${row.device_id}`));
    return jobs.filter((job) => won.has(`${job.eventId}\n${job.target.deviceId}`));
  }

  /** Leases up to `limit` pushes whose next attempt is due (or whose last taker died) to the caller. */
  async takeDue(limit: number): Promise<DuePush[]> {
    const rows = await this.#sql.query<{ job: PushJob; attempts: number }>(
      `update "push"."push_pending" p set "lease_until" = now() + make_interval(secs => ?)
       from (
         select "event_id", "device_id" from "push"."push_pending"
         where "due_at" <= now() and ("lease_until" is null or "lease_until" < now())
         order by "due_at" limit ? for update skip locked
       ) due
       where p."event_id" = due."event_id" and p."device_id" = due."device_id"
       returning p."job", p."attempts"`,
      [LEASE_SECONDS, limit],
    );
    return rows.map((row) => ({ job: row.job, attempts: Number(row.attempts) }));
  }

  /** After a transient failure: due again in `delayMs`, free for any taker then. */
  async retryLater(job: PushJob, attempts: number, delayMs: number): Promise<void> {
    await this.#sql.query(
      `update "push"."push_pending" set "attempts" = ?, "lease_until" = null,
         "due_at" = now() + make_interval(secs => ?)
       where "event_id" = ? and "device_id" = ?`,
      [attempts, delayMs / 1000, job.eventId, job.target.deviceId],
    );
  }

  /** The push succeeded or gave up. */
  async settle(job: PushJob): Promise<void> {
    await this.#sql.query(`delete from "push"."push_pending" where "event_id" = ? and "device_id" = ?`, [
      job.eventId,
      job.target.deviceId,
    ]);
  }
}
