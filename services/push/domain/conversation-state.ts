import type { SqlExecutor } from '../../platform/db/index.ts';

const READ = '"push"."push_read_marks"';
const COLLAPSE = '"push"."push_collapse"';

/**
 * What the push service knows of each user's conversations: how far they read (from
 * `message.read`, so that a message already read on another device is not pushed) and how many
 * messages were pushed since (the count a collapsed push shows: "3 new messages").
 */
export class ConversationState {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  /**
   * The user read up to `readSeq`: remembered (never moved back), and the pushed count restarts.
   * Returns whether pushes of this conversation were waiting on the user's devices (then they
   * are withdrawn).
   */
  async read(userId: string, sessionId: string, readSeq: number): Promise<boolean> {
    await this.#sql.query(
      `insert into ${READ} ("user_id", "session_id", "read_seq") values (?, ?, ?)
       on conflict ("user_id", "session_id") do update set "read_seq" = greatest(${READ}."read_seq", excluded."read_seq")`,
      [userId, sessionId, readSeq],
    );
    const cleared = await this.#sql.query(
      `delete from ${COLLAPSE} where "user_id" = ? and "session_id" = ? and "last_seq" <= ? returning 1`,
      [userId, sessionId, readSeq],
    );
    return cleared.length > 0;
  }

  /** Of these users, those who already read `seq` of the conversation (on another device). */
  async readers(userIds: string[], sessionId: string, seq: number): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await this.#sql.query<{ user_id: string }>(
      `select "user_id"::text as "user_id" from ${READ}
       where "session_id" = ? and "user_id" in (select jsonb_array_elements_text(?::jsonb)::bigint) and "read_seq" >= ?`,
      [sessionId, JSON.stringify(userIds), seq],
    );
    return new Set(rows.map((row) => row.user_id));
  }

  /**
   * One more message of the conversation is pushed to each of these users: the count each
   * collapsed push shows. A redelivered message (same seq) counts once.
   */
  async countPushed(userIds: string[], sessionId: string, seq: number): Promise<Map<string, number>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.#sql.query<{ user_id: string; pending: number }>(
      `insert into ${COLLAPSE} ("user_id", "session_id", "pending", "last_seq")
       select u::bigint, ?, 1, ? from jsonb_array_elements_text(?::jsonb) as u
       on conflict ("user_id", "session_id") do update set
         "pending" = ${COLLAPSE}."pending" + case when ${COLLAPSE}."last_seq" < excluded."last_seq" then 1 else 0 end,
         "last_seq" = greatest(${COLLAPSE}."last_seq", excluded."last_seq")
       returning "user_id"::text as "user_id", "pending"`,
      [sessionId, seq, JSON.stringify(userIds)],
    );
    return new Map(rows.map((row) => [row.user_id, Number(row.pending)]));
  }
}
