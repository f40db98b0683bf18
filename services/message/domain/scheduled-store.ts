import type { SessionType } from '../../platform/contracts/index.ts';
import type { SqlExecutor } from '../../platform/db/index.ts';
import { storableJson } from '../../platform/text.ts';

export type ScheduleStatus = 'pending' | 'sending' | 'sent' | 'cancelled' | 'failed';

export interface ScheduledMessage {
  scheduleId: string;
  senderId: string;
  clientMsgId: string;
  sessionType: SessionType;
  targetId: string;
  contentType: string;
  content: unknown;
  mentions: string[];
  mentionAll: boolean;
  sendAt: Date;
  status: ScheduleStatus;
  attempts: number;
  messageId: string | null;
  errorCode: number | null;
  createdAt: Date;
}

export type NewSchedule = Omit<
  ScheduledMessage,
  'status' | 'attempts' | 'messageId' | 'errorCode' | 'createdAt'
>;

const COLUMNS = `schedule_id::text as schedule_id, sender_id::text as sender_id, client_msg_id, session_type,
  target_id::text as target_id, content_type, content, mentions, mention_all, send_at, status, attempts,
  message_id::text as message_id, error_code, created_at`;

function toSchedule(row: Record<string, unknown>): ScheduledMessage {
  return {
    scheduleId: row.schedule_id as string,
    senderId: row.sender_id as string,
    clientMsgId: row.client_msg_id as string,
    sessionType: row.session_type as SessionType,
    targetId: row.target_id as string,
    contentType: row.content_type as string,
    content: row.content,
    mentions: (row.mentions as string[] | null) ?? [],
    mentionAll: row.mention_all === true,
    sendAt: new Date(row.send_at as string),
    status: row.status as ScheduleStatus,
    attempts: Number(row.attempts),
    messageId: (row.message_id as string | null) ?? null,
    errorCode: row.error_code === null ? null : Number(row.error_code),
    createdAt: new Date(row.created_at as string),
  };
}

/** Scheduled messages (message.scheduled_messages): every statement about them lives here. */
export class ScheduledStore {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  /** Stores a schedule; a retry with the same (sender, clientMsgId) gets the first one back. */
  async insert(schedule: NewSchedule): Promise<ScheduledMessage> {
    const [inserted] = await this.#sql.query(
      `insert into message.scheduled_messages
         (schedule_id, sender_id, client_msg_id, session_type, target_id, content_type, content, mentions, mention_all, send_at)
       values (?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?)
       on conflict (sender_id, client_msg_id) do nothing
       returning ${COLUMNS}`,
      [
        schedule.scheduleId,
        schedule.senderId,
        schedule.clientMsgId,
        schedule.sessionType,
        schedule.targetId,
        schedule.contentType,
        storableJson(schedule.content).json,
        JSON.stringify(schedule.mentions),
        schedule.mentionAll,
        schedule.sendAt,
      ],
    );
    if (inserted) return toSchedule(inserted);
    const [first] = await this.#sql.query(
      `select ${COLUMNS} from message.scheduled_messages where sender_id = ? and client_msg_id = ?`,
      [schedule.senderId, schedule.clientMsgId],
    );
    return toSchedule(first!);
  }

  async get(scheduleId: string): Promise<ScheduledMessage | undefined> {
    const [row] = await this.#sql.query(
      `select ${COLUMNS} from message.scheduled_messages where schedule_id = ?`,
      [scheduleId],
    );
    return row ? toSchedule(row) : undefined;
  }

  async list(senderId: string, statuses: ScheduleStatus[], limit: number): Promise<ScheduledMessage[]> {
    const rows = await this.#sql.query(
      `select ${COLUMNS} from message.scheduled_messages
        where sender_id = ? and status in (select jsonb_array_elements_text(?::jsonb))
        order by send_at, schedule_id limit ?`,
      [senderId, JSON.stringify(statuses), limit],
    );
    return rows.map(toSchedule);
  }

  /** Cancels the sender's pending schedule; undefined when it is not pending (or not theirs). */
  async cancel(scheduleId: string, senderId: string): Promise<ScheduledMessage | undefined> {
    const [row] = await this.#sql.query(
      `update message.scheduled_messages set status = 'cancelled', updated_at = now()
        where schedule_id = ? and sender_id = ? and status = 'pending' returning ${COLUMNS}`,
      [scheduleId, senderId],
    );
    return row ? toSchedule(row) : undefined;
  }

  /**
   * Claims due schedules: pending ones whose time came, and ones claimed before whose claim is
   * older than `leaseSeconds` (the instance that claimed them stopped before finishing). Rows
   * locked by another instance's claim are skipped, so each is claimed by one instance at a time.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<ScheduledMessage[]> {
    const rows = await this.#sql.query(
      `update message.scheduled_messages
          set status = 'sending', claimed_at = now(), attempts = attempts + 1, updated_at = now()
        where schedule_id in (
          select schedule_id from message.scheduled_messages
           where (status = 'pending' and send_at <= now())
              or (status = 'sending' and claimed_at < now() - make_interval(secs => ?))
           order by send_at
           limit ?
           for update skip locked)
       returning ${COLUMNS}`,
      [leaseSeconds, limit],
    );
    return rows.map(toSchedule);
  }

  async finish(
    scheduleId: string,
    outcome: { status: 'sent'; messageId: string } | { status: 'failed'; errorCode: number },
  ): Promise<ScheduledMessage | undefined> {
    const [row] = await this.#sql.query(
      `update message.scheduled_messages
          set status = ?, message_id = ?, error_code = ?, updated_at = now()
        where schedule_id = ? and status = 'sending' returning ${COLUMNS}`,
      [
        outcome.status,
        outcome.status === 'sent' ? outcome.messageId : null,
        outcome.status === 'failed' ? outcome.errorCode : null,
        scheduleId,
      ],
    );
    return row ? toSchedule(row) : undefined;
  }
}
