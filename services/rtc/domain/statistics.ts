import type { SqlExecutor } from '../../platform/db/index.ts';

export interface CallStatistics {
  /** Calls invited in the period, one-to-one and group alike, each counted once. */
  started: number;
  /** Of those, the ones someone answered. */
  answered: number;
  /** Of those, the ones nobody answered before the ring timed out. */
  missed: number;
  /** Meetings running at some time in the period. */
  meetings: number;
  /** Their running time inside the period, in seconds: start to end, or to now while running. */
  meetingSeconds: number;
}

/**
 * Calls and meeting time over a period, for the platform's statistics (`imctl stats`). A call
 * counts in the period it was invited in; a meeting counts the part of its running time that
 * falls in the period, so that a long meeting is spread over the periods it ran in.
 */
export class RtcStatistics {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  async since(since: Date): Promise<CallStatistics> {
    const [calls] = await this.#sql.query<{ started: string; answered: string; missed: string }>(
      `select count(*) as started,
         count(*) filter (where start_time is not null) as answered,
         count(*) filter (where status = 'missed') as missed
       from rtc.call_sessions where created_at >= ?`,
      [since],
    );
    // A scheduled meeting nobody has joined has not run; start_time is when it began.
    const [meetings] = await this.#sql.query<{ meetings: string; seconds: string | null }>(
      `select count(*) as meetings,
         coalesce(sum(extract(epoch from (coalesce(end_time, now()) - greatest(start_time, ?::timestamptz)))), 0)
           as seconds
       from rtc.meeting_rooms
       where status <> 'scheduled' and start_time is not null and start_time <= now()
         and coalesce(end_time, now()) > ?::timestamptz`,
      [since, since],
    );
    return {
      started: Number(calls!.started),
      answered: Number(calls!.answered),
      missed: Number(calls!.missed),
      meetings: Number(meetings!.meetings),
      meetingSeconds: Math.round(Number(meetings!.seconds ?? 0)),
    };
  }
}
