import type { SqlExecutor } from '../../platform/db/index.ts';
import type { Outbox, PendingEvent, StoredEvent } from '../../platform/outbox.ts';

/** When a self-destruct timer starts: at the send, or once a recipient has read the message. */
export type TimerStart = 'send' | 'read';

/** A self-destructing message whose time is up. */
export interface DueTimer {
  senderId: string;
  clientMsgId: string;
  messageId: string;
  sessionId: string;
  seq: number;
}

/** Timers that were never followed by a stored message are dropped after this long. */
const ORPHAN_AFTER = "interval '1 day'";

/** Self-destruct timers (message.message_timers): every statement of the timers lives here. */
export class TimerStore {
  readonly #sql: SqlExecutor;
  readonly #outbox: Outbox;

  constructor(sql: SqlExecutor, outbox: Outbox) {
    this.#sql = sql;
    this.#outbox = outbox;
  }

  /**
   * Records the timer of a send before the send itself. False when the clientMsgId already names a
   * message sent without a timer (a timer must never be put on a message sent as a plain one).
   */
  async arm(senderId: string, clientMsgId: string, ttlSeconds: number, startsOn: TimerStart) {
    return this.#sql.transaction(async (tx) => {
      const [plain] = await tx.query(
        `select 1 as sent from message.sent_messages s
          where s.sender_id = ? and s.client_msg_id = ?
            and not exists (select 1 from message.message_timers t
                             where t.sender_id = s.sender_id and t.client_msg_id = s.client_msg_id)`,
        [senderId, clientMsgId],
      );
      if (plain) return false;
      await tx.query(
        `insert into message.message_timers (sender_id, client_msg_id, ttl_seconds, starts_on, expires_at)
         values (?, ?, ?, ?, case when ? = 'send' then now() + make_interval(secs => ?) end)
         on conflict do nothing`,
        [senderId, clientMsgId, ttlSeconds, startsOn, startsOn, ttlSeconds],
      );
      return true;
    });
  }

  /** Whether the message (by its sender and clientMsgId) self-destructs. */
  async isTimed(senderId: string, clientMsgId: string): Promise<boolean> {
    const rows = await this.#sql.query(
      'select 1 as timed from message.message_timers where sender_id = ? and client_msg_id = ?',
      [senderId, clientMsgId],
    );
    return rows.length > 0;
  }

  /**
   * Starts the timers of burn-after-read messages that someone other than their sender has read
   * (a read position at or past the message), from now.
   */
  async startRead(): Promise<number> {
    const rows = await this.#sql.query(
      `update message.message_timers t set expires_at = now() + make_interval(secs => t.ttl_seconds)
         from message.sent_messages s
        where t.expires_at is null and t.destroyed_at is null and t.starts_on = 'read'
          and s.sender_id = t.sender_id and s.client_msg_id = t.client_msg_id
          and exists (select 1 from message.cursors c
                       where c.session_id = s.session_id and c.user_id <> t.sender_id and c.read_seq >= s.seq)
        returning 1 as started`,
    );
    return rows.length;
  }

  /** Timers whose time is up, oldest first. */
  async due(limit: number): Promise<DueTimer[]> {
    const rows = await this.#sql.query(
      `select t.sender_id::text as sender_id, t.client_msg_id, s.message_id::text as message_id, s.session_id, s.seq
         from message.message_timers t
         join message.sent_messages s on s.sender_id = t.sender_id and s.client_msg_id = t.client_msg_id
        where t.destroyed_at is null and t.expires_at <= now()
        order by t.expires_at
        limit ?`,
      [limit],
    );
    return rows.map((row) => ({
      senderId: row.sender_id as string,
      clientMsgId: row.client_msg_id as string,
      messageId: row.message_id as string,
      sessionId: row.session_id as string,
      seq: Number(row.seq),
    }));
  }

  /**
   * Removes the message from storage (its row and everyone's "deleted for me" marks), closes its
   * timer and stores `event` in the outbox, in one transaction; undefined when another instance
   * did it first.
   */
  async destroy(timer: DueTimer, event: PendingEvent): Promise<StoredEvent[] | undefined> {
    return this.#sql.transaction(async (tx) => {
      const closed = await tx.query(
        `update message.message_timers set destroyed_at = now()
          where sender_id = ? and client_msg_id = ? and destroyed_at is null returning 1 as closed`,
        [timer.senderId, timer.clientMsgId],
      );
      if (closed.length === 0) return undefined;
      await tx.query('delete from message.messages where message_id = ?', [timer.messageId]);
      await tx.query('delete from message.hidden_messages where message_id = ?', [timer.messageId]);
      return this.#outbox.store(tx, [event]);
    });
  }

  /** Drops timers whose send was refused or never made. */
  async dropOrphans(): Promise<void> {
    await this.#sql.query(
      `delete from message.message_timers t
        where t.created_at < now() - ${ORPHAN_AFTER}
          and not exists (select 1 from message.sent_messages s
                           where s.sender_id = t.sender_id and s.client_msg_id = t.client_msg_id)`,
    );
  }
}
