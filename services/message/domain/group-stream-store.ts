import type { SqlExecutor } from '../../platform/db/index.ts';
import { TurnBatch } from '../../platform/turn-batch.ts';
import { MESSAGE_COLUMNS, type StoredMessage, toMessage } from './store.ts';

/** One membership period of a user in a read fan-out group, with the group's newest seq. */
export interface MembershipPeriod {
  sessionId: string;
  /** The member sees the group's messages after this seq... */
  fromSeq: number;
  /** ...up to this one (null: still a member). */
  toSeq: number | null;
  /** The member's syncSeq when the period began: the group's earlier messages are at or before it in their timeline. */
  afterSyncSeq: number;
  /** The group's newest seq. */
  lastSeq: number;
}

/**
 * The SQL of read fan-out groups' streams: a member's periods, and the group's messages within
 * them, less what the member deleted or cleared for themselves (as their timeline leaves them out).
 */
export class GroupStreamStore {
  readonly #sql: SqlExecutor;

  /** The members whose periods are asked for in one turn, read together (every connect asks). */
  readonly #periods = new TurnBatch<string, MembershipPeriod[]>(async (userIds) => {
    const rows = await this.#sql.query(
      `select p.user_id::text as user_id, p.session_id, p.from_seq, p.to_seq, p.after_sync_seq, c.last_seq
         from message.group_members p join message.conversations c on c.session_id = p.session_id
        where p.user_id in (select jsonb_array_elements_text(?::jsonb)::bigint)
          and (p.to_seq is null or p.to_seq > p.from_seq)
        order by p.user_id, p.session_id, p.from_seq`,
      [JSON.stringify(userIds)],
    );
    const byUser = new Map<string, MembershipPeriod[]>(userIds.map((userId) => [userId, []]));
    for (const row of rows)
      byUser.get(row.user_id as string)?.push({
        sessionId: row.session_id as string,
        fromSeq: Number(row.from_seq),
        toSeq: row.to_seq === null ? null : Number(row.to_seq),
        afterSyncSeq: Number(row.after_sync_seq),
        lastSeq: Number(row.last_seq),
      });
    return byUser;
  });

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  async periods(userId: string): Promise<MembershipPeriod[]> {
    return (await this.#periods.get([userId])).get(userId) ?? [];
  }

  /** The group's messages after `afterSeq` that the user sees, in seq order. */
  async messages(
    userId: string,
    sessionId: string,
    afterSeq: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    const rows = await this.#sql.query(
      `select ${MESSAGE_COLUMNS} from message.messages m
        where m.session_id = ? and m.seq > ?
          and exists (select 1 from message.group_members p
                       where p.session_id = m.session_id and p.user_id = ?
                         and m.seq > p.from_seq and (p.to_seq is null or m.seq <= p.to_seq))
          and m.seq > coalesce((select cleared_seq from message.cursors where user_id = ? and session_id = ?), 0)
          and not exists (select 1 from message.hidden_messages h where h.user_id = ? and h.message_id = m.message_id)
        order by m.seq
        limit ?`,
      [sessionId, afterSeq, userId, userId, sessionId, userId, limit],
    );
    return rows.map(toMessage);
  }
}
