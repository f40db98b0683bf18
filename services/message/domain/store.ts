import type { SessionType } from '../../platform/contracts/index.ts';
import type { SqlExecutor } from '../../platform/db/index.ts';
import type { Outbox, PendingEvent, StoredEvent } from '../../platform/outbox.ts';
import { storableJson } from '../../platform/text.ts';
import { TurnBatch } from '../../platform/turn-batch.ts';

/**
 * The message service's repository: every SQL statement of the service lives here. Seqs are
 * allocated with row locks inside the transaction that stores what they number, so both the
 * per-conversation `seq` and the per-user `syncSeq` are gap-free (a rolled-back transaction gives
 * its numbers back).
 */

export type TimelineKind =
  | 'message'
  | 'recall'
  | 'read'
  | 'group_read'
  | 'notify'
  | 'edit'
  | 'reaction'
  | 'pin'
  | 'thread'
  | 'destroy'
  | 'draft';

export interface StoredMessage {
  messageId: string;
  sessionId: string;
  sessionType: SessionType;
  senderId: string;
  targetId: string;
  clientMsgId: string;
  seq: number;
  contentType: string;
  content: unknown;
  mentions: string[];
  recalled: boolean;
  createdAt: Date;
  /** When the content was last edited (edits.ts). */
  editedAt?: Date | undefined;
}

export interface NewMessage extends Omit<StoredMessage, 'seq' | 'recalled' | 'editedAt'> {
  searchText: string;
  /** Everyone who gets a timeline entry (sender included). */
  participants: string[];
  /** A big group's message, stored once (read fan-out): the membership changes it carries. */
  readFanout?: ReadFanoutChanges | undefined;
}

/** A read fan-out group's members, where they changed since the group's previous message. */
export interface ReadFanoutChanges {
  members?: string[];
}

export interface SentRecord {
  messageId: string;
  sessionId: string;
  seq: number;
  senderSyncSeq: number;
  createdAt: Date;
}

export interface StoredSend extends SentRecord {
  /** syncSeq of each participant for this message (none for read fan-out). */
  syncSeqs: Map<string, number>;
  /** Stored read fan-out (by the group's seq only), with the membership periods it opened and closed. */
  readFanout?: { joined: string[]; left: string[] };
}

export interface TimelineEvent {
  userId: string;
  kind: Exclude<TimelineKind, 'message'>;
  eventId: string;
  payload: Record<string, unknown>;
  /** The message an edit is about: its replay reads the message's current content. */
  messageId?: string;
}

export interface TimelineEntry {
  syncSeq: number;
  kind: TimelineKind;
  payload: Record<string, unknown> | null;
  createdAt: Date;
  /** For `message` entries; undefined when the user deleted or cleared it (the slot is still theirs). */
  message: StoredMessage | undefined;
}

export interface Cursor {
  userId: string;
  deliveredSeq: number;
  readSeq: number;
  clearedSeq: number;
}

export interface HistoryQuery {
  userId: string;
  /** Group members who may not see history from before they joined: their join time. */
  from?: Date | undefined;
  sessionId: string;
  startSeq: number | undefined;
  limit: number;
  direction: 'forward' | 'backward';
}

type Row = Record<string, unknown>;

export const MESSAGE_COLUMNS = `m.message_id::text as message_id, m.session_id, m.session_type, m.sender_id::text as sender_id,
  m.target_id::text as target_id, m.client_msg_id, m.seq, m.content_type, m.content, m.mentions, m.status, m.created_at, m.edited_at`;

export function toMessage(row: Row): StoredMessage {
  return {
    messageId: row.message_id as string,
    sessionId: row.session_id as string,
    sessionType: row.session_type as SessionType,
    senderId: row.sender_id as string,
    targetId: row.target_id as string,
    clientMsgId: row.client_msg_id as string,
    seq: Number(row.seq),
    contentType: row.content_type as string,
    content: row.content,
    mentions: (row.mentions as string[] | null) ?? [],
    recalled: Number(row.status) === 2,
    createdAt: new Date(row.created_at as string),
    ...(row.edited_at ? { editedAt: new Date(row.edited_at as string) } : {}),
  };
}

/** A jsonb parameter; text jsonb cannot hold (from events of other services) is stored as U+FFFD. */
const json = (value: unknown) => storableJson(value).json;

export class MessageStore {
  readonly #sql: SqlExecutor;

  readonly #outbox: Outbox;

  /** The timeline pages asked for in one turn, read together (timelinePage). */
  readonly #pages = new TurnBatch<string, { entries: TimelineEntry[]; head: number }>(async (keys) => {
    const wanted = keys.map((k) => {
      const [userId, after, limit] = k.split('/');
      return { k, user_id: userId, after: Number(after), lim: Number(limit) };
    });
    const rows = await this.#sql.query(
      `select r.k, coalesce(s.last_sync_seq, 0) as head, x.*
         from jsonb_to_recordset(?::jsonb) as r(k text, user_id bigint, after bigint, lim int)
         left join message.user_sequences s on s.user_id = r.user_id
         left join lateral (
           select t.sync_seq, t.kind, t.payload, t.created_at as entry_created_at,
                  ${MESSAGE_COLUMNS},
                  (h.message_id is not null or coalesce(c.cleared_seq, 0) >= m.seq) as hidden
             from message.timeline t
             left join message.messages m on m.message_id = t.message_id
             left join message.hidden_messages h on h.user_id = t.user_id and h.message_id = t.message_id
             left join message.cursors c on c.user_id = t.user_id and c.session_id = m.session_id
            where t.user_id = r.user_id and t.sync_seq > r.after
            order by t.sync_seq
            limit r.lim) x on true
        order by r.k, x.sync_seq`,
      [JSON.stringify(wanted)],
    );
    const pages = new Map<string, { entries: TimelineEntry[]; head: number }>();
    for (const row of rows) {
      const k = row.k as string;
      const page = pages.get(k) ?? { entries: [], head: Number(row.head) };
      pages.set(k, page);
      if (row.sync_seq === null) continue;
      page.entries.push({
        syncSeq: Number(row.sync_seq),
        kind: row.kind as TimelineKind,
        payload: (row.payload as Record<string, unknown> | null) ?? null,
        createdAt: new Date(row.entry_created_at as string),
        message: row.message_id && !row.hidden ? toMessage(row) : undefined,
      });
    }
    return pages;
  });

  constructor(sql: SqlExecutor, outbox: Outbox) {
    this.#sql = sql;
    this.#outbox = outbox;
  }

  async findSent(senderId: string, clientMsgId: string): Promise<SentRecord | undefined> {
    const [row] = await this.#sql.query(
      `select message_id::text as message_id, session_id, seq, sender_sync_seq, created_at
         from message.sent_messages where sender_id = ? and client_msg_id = ?`,
      [senderId, clientMsgId],
    );
    return row
      ? {
          messageId: row.message_id as string,
          sessionId: row.session_id as string,
          seq: Number(row.seq),
          senderSyncSeq: Number(row.sender_sync_seq),
          createdAt: new Date(row.created_at as string),
        }
      : undefined;
  }

  /**
   * Stores a batch of messages in one transaction (one round trip: the `message.store_messages`
   * function), each with its seq, every participant's syncSeq and its message.created event
   * (`created`, seq added) in the outbox, in the batch's order. For a (sender, clientMsgId) stored
   * before, or earlier in the batch, its result is the first send's record instead.
   */
  async insertMessages(
    sends: Array<{ message: NewMessage; created: StoredEvent }>,
  ): Promise<Array<StoredSend | { duplicate: SentRecord }>> {
    const batch = sends.map(({ message, created }) => ({
      outboxId: created.id,
      event: created.payload,
      messageId: message.messageId,
      sessionId: message.sessionId,
      sessionType: message.sessionType,
      senderId: message.senderId,
      targetId: message.targetId,
      clientMsgId: message.clientMsgId,
      contentType: message.contentType,
      content: message.content,
      searchText: message.searchText,
      mentions: message.mentions,
      createdAt: message.createdAt.toISOString(),
      // A read fan-out message allocates no member's syncSeq: its members go as membership changes.
      ...(message.readFanout
        ? { readFanout: true, participants: [], ...message.readFanout }
        : { participants: [...new Set(message.participants)] }),
    }));
    const [row] = await this.#sql.query<{ results: Array<Record<string, unknown>> }>(
      'select "message"."store_messages"(?::jsonb) as results',
      [json(batch)],
    );
    return row!.results.map((result, index) => {
      const { message } = sends[index]!;
      if (result.duplicate) {
        return {
          duplicate: {
            messageId: result.messageId as string,
            sessionId: result.sessionId as string,
            seq: Number(result.seq),
            senderSyncSeq: Number(result.senderSyncSeq),
            createdAt: new Date(result.createdAt as string),
          },
        };
      }
      const syncSeqs = new Map(
        Object.entries(result.syncSeqs as Record<string, number>).map(([userId, seq]) => [
          userId,
          Number(seq),
        ]),
      );
      return {
        messageId: message.messageId,
        sessionId: message.sessionId,
        seq: Number(result.seq),
        senderSyncSeq: syncSeqs.get(message.senderId) ?? 0,
        createdAt: message.createdAt,
        syncSeqs,
        ...(result.readFanout
          ? { readFanout: { joined: result.joined as string[], left: result.left as string[] } }
          : {}),
      };
    });
  }

  /** Appends events to timelines; an event id already in a user's timeline is not appended again. */
  async appendEvents(events: TimelineEvent[]): Promise<Map<TimelineEvent, number>> {
    return this.#sql.transaction((tx) => this.#append(tx, events));
  }

  /** Appends events within a caller's transaction (the repositories of edits, reactions, pins, threads). */
  appendIn(tx: SqlExecutor, events: TimelineEvent[]): Promise<Map<TimelineEvent, number>> {
    return this.#append(tx, events);
  }

  async #append(tx: SqlExecutor, events: TimelineEvent[]): Promise<Map<TimelineEvent, number>> {
    const appended = new Map<TimelineEvent, number>();
    if (events.length === 0) return appended;
    const existing = await tx.query<{ user_id: string; event_id: string }>(
      `select user_id::text as user_id, event_id from message.timeline
        where (user_id, event_id) in (select (e->>'userId')::bigint, e->>'eventId' from jsonb_array_elements(?::jsonb) e)`,
      [json(events.map(({ userId, eventId }) => ({ userId, eventId })))],
    );
    const seen = new Set(existing.map((row) => `${row.user_id}|${row.event_id}`));
    // Users are locked in id order (as sends do), so concurrent transactions cannot deadlock.
    const fresh = events
      .filter((event) => !seen.has(`${event.userId}|${event.eventId}`))
      .sort((a, b) =>
        BigInt(a.userId) < BigInt(b.userId) ? -1 : BigInt(a.userId) > BigInt(b.userId) ? 1 : 0,
      );
    if (fresh.length === 0) return appended;
    for (const event of fresh) {
      const [row] = await tx.query(
        `insert into message.user_sequences (user_id, last_sync_seq) values (?, 1)
         on conflict (user_id) do update set last_sync_seq = message.user_sequences.last_sync_seq + 1
         returning last_sync_seq`,
        [event.userId],
      );
      appended.set(event, Number(row!.last_sync_seq));
    }
    await tx.query(
      `insert into message.timeline (user_id, sync_seq, kind, event_id, payload, message_id)
       select (e->>'userId')::bigint, (e->>'syncSeq')::bigint, e->>'kind', e->>'eventId', e->'payload',
              (e->>'messageId')::bigint
         from jsonb_array_elements(?::jsonb) e`,
      [json([...appended].map(([event, syncSeq]) => ({ ...event, syncSeq })))],
    );
    return appended;
  }

  async #advanceCursor(
    tx: SqlExecutor,
    userId: string,
    sessionId: string,
    to: { readSeq?: number; deliveredSeq?: number; clearedSeq?: number },
  ): Promise<Cursor> {
    const [row] = await tx.query(
      `insert into message.cursors (user_id, session_id, delivered_seq, read_seq, cleared_seq)
       values (?, ?, ?, ?, ?)
       on conflict (user_id, session_id) do update set
         delivered_seq = greatest(message.cursors.delivered_seq, excluded.delivered_seq),
         read_seq = greatest(message.cursors.read_seq, excluded.read_seq),
         cleared_seq = greatest(message.cursors.cleared_seq, excluded.cleared_seq),
         updated_at = now()
       returning delivered_seq, read_seq, cleared_seq`,
      [
        userId,
        sessionId,
        Math.max(to.deliveredSeq ?? 0, to.readSeq ?? 0),
        to.readSeq ?? 0,
        to.clearedSeq ?? 0,
      ],
    );
    return {
      userId,
      deliveredSeq: Number(row!.delivered_seq),
      readSeq: Number(row!.read_seq),
      clearedSeq: Number(row!.cleared_seq),
    };
  }

  async cursors(sessionId: string, userIds: string[]): Promise<Map<string, Cursor>> {
    const rows = await this.#sql.query(
      `select user_id::text as user_id, delivered_seq, read_seq, cleared_seq from message.cursors
        where session_id = ? and user_id in (select u::bigint from jsonb_array_elements_text(?::jsonb) u)`,
      [sessionId, json(userIds)],
    );
    return new Map(
      rows.map((row) => [
        row.user_id as string,
        {
          userId: row.user_id as string,
          deliveredSeq: Number(row.delivered_seq),
          readSeq: Number(row.read_seq),
          clearedSeq: Number(row.cleared_seq),
        },
      ]),
    );
  }

  /** Moves a user's read position forward and appends the given receipts in the same transaction. */
  async markRead(
    userId: string,
    sessionId: string,
    readSeq: number,
    receipts: (previous: number) => TimelineEvent[],
    event: PendingEvent,
  ): Promise<{
    advanced: boolean;
    previous: number;
    appended: Map<TimelineEvent, number>;
    outbox: StoredEvent[];
  }> {
    return this.#sql.transaction(async (tx) => {
      const [before] = await tx.query(
        'select read_seq from message.cursors where user_id = ? and session_id = ? for update',
        [userId, sessionId],
      );
      const previous = Number(before?.read_seq ?? 0);
      if (readSeq <= previous) return { advanced: false, previous, appended: new Map(), outbox: [] };
      await this.#advanceCursor(tx, userId, sessionId, { readSeq });
      const appended = await this.#append(tx, receipts(previous));
      return { advanced: true, previous, appended, outbox: await this.#outbox.store(tx, [event]) };
    });
  }

  /**
   * Raises delivered positions from acknowledged message ids (only the recipient's own
   * conversations), for many users in one statement: receipts are group committed.
   */
  async markDelivered(receipts: Array<{ userId: string; messageIds: string[] }>): Promise<void> {
    const rows = receipts.flatMap(({ userId, messageIds }) =>
      messageIds.map((messageId) => ({ user_id: userId, message_id: messageId })),
    );
    if (rows.length === 0) return;
    await this.#sql.query(
      `insert into message.cursors (user_id, session_id, delivered_seq)
       select r.user_id, m.session_id, max(m.seq)
         from jsonb_to_recordset(?::jsonb) as r(user_id bigint, message_id bigint)
         join message.messages m on m.message_id = r.message_id
          and (m.target_id = r.user_id or m.sender_id = r.user_id)
        group by r.user_id, m.session_id
        order by r.user_id, m.session_id
       on conflict (user_id, session_id) do update set
         delivered_seq = greatest(message.cursors.delivered_seq, excluded.delivered_seq), updated_at = now()`,
      [json(rows)],
    );
  }

  async message(messageId: string): Promise<StoredMessage | undefined> {
    const [row] = await this.#sql.query(
      `select ${MESSAGE_COLUMNS} from message.messages m where m.message_id = ?`,
      [messageId],
    );
    return row ? toMessage(row) : undefined;
  }

  async messagesIn(sessionId: string, messageIds: string[]): Promise<StoredMessage[]> {
    const rows = await this.#sql.query(
      `select ${MESSAGE_COLUMNS} from message.messages m
        where m.session_id = ? and m.message_id in (select x::bigint from jsonb_array_elements_text(?::jsonb) x)`,
      [sessionId, json(messageIds)],
    );
    return rows.map(toMessage);
  }

  /** Members other than the sender who read a group conversation up to `seq`, with when. */
  async readers(
    sessionId: string,
    seq: number,
    senderId: string,
    memberIds: string[],
  ): Promise<Array<{ userId: string; readAt: Date }>> {
    const rows = await this.#sql.query(
      `select user_id::text as user_id, updated_at from message.cursors
        where session_id = ? and read_seq >= ? and user_id <> ?
          and user_id in (select u::bigint from jsonb_array_elements_text(?::jsonb) u)
        order by updated_at`,
      [sessionId, seq, senderId, json(memberIds)],
    );
    return rows.map((row) => ({ userId: row.user_id as string, readAt: new Date(row.updated_at as string) }));
  }

  /** Each sender's latest message in (afterSeq, toSeq], other than the reader's own. */
  async latestBySender(
    sessionId: string,
    afterSeq: number,
    toSeq: number,
    readerId: string,
  ): Promise<Array<{ senderId: string; messageId: string; seq: number }>> {
    const rows = await this.#sql.query(
      `select distinct on (m.sender_id) m.sender_id::text as sender_id, m.message_id::text as message_id, m.seq
         from message.messages m
        where m.session_id = ? and m.seq > ? and m.seq <= ? and m.sender_id not in (0, ?)
        order by m.sender_id, m.seq desc`,
      [sessionId, afterSeq, toSeq, readerId],
    );
    return rows.map((row) => ({
      senderId: row.sender_id as string,
      messageId: row.message_id as string,
      seq: Number(row.seq),
    }));
  }

  async lastSeq(sessionId: string): Promise<number> {
    const [row] = await this.#sql.query('select last_seq from message.conversations where session_id = ?', [
      sessionId,
    ]);
    return Number(row?.last_seq ?? 0);
  }

  /** Marks a message recalled and appends the recall to the participants' timelines. */
  async recall(
    messageId: string,
    events: (message: StoredMessage) => TimelineEvent[],
    event: (message: StoredMessage) => PendingEvent,
  ): Promise<
    { message: StoredMessage; appended: Map<TimelineEvent, number>; outbox: StoredEvent[] } | undefined
  > {
    return this.#sql.transaction(async (tx) => {
      const [row] = await tx.query(
        `update message.messages m set status = 2, recalled_at = now()
          where m.message_id = ? and m.status = 1 returning ${MESSAGE_COLUMNS}`,
        [messageId],
      );
      if (!row) return undefined;
      const message = toMessage(row);
      const appended = await this.#append(tx, events(message));
      return { message, appended, outbox: await this.#outbox.store(tx, [event(message)]) };
    });
  }

  async hide(
    userId: string,
    message: StoredMessage,
    event: TimelineEvent,
  ): Promise<Map<TimelineEvent, number>> {
    return this.#sql.transaction(async (tx) => {
      const inserted = await tx.query(
        `insert into message.hidden_messages (user_id, message_id, session_id) values (?, ?, ?)
         on conflict do nothing returning 1 as ok`,
        [userId, message.messageId, message.sessionId],
      );
      return inserted.length > 0 ? this.#append(tx, [event]) : new Map();
    });
  }

  async clear(
    userId: string,
    sessionId: string,
    timelineEvent: (clearedSeq: number) => TimelineEvent,
    event: (clearedSeq: number) => PendingEvent,
  ): Promise<{ clearedSeq: number; appended: Map<TimelineEvent, number>; outbox: StoredEvent[] }> {
    return this.#sql.transaction(async (tx) => {
      const [row] = await tx.query('select last_seq from message.conversations where session_id = ?', [
        sessionId,
      ]);
      const clearedSeq = Number(row?.last_seq ?? 0);
      await this.#advanceCursor(tx, userId, sessionId, { clearedSeq, readSeq: clearedSeq });
      const appended = await this.#append(tx, [timelineEvent(clearedSeq)]);
      return { clearedSeq, appended, outbox: await this.#outbox.store(tx, [event(clearedSeq)]) };
    });
  }

  /**
   * A page of the user's timeline after `afterSyncSeq` and its head (last syncSeq), read in one
   * statement. The pages asked for in the same turn are one statement for all of them: a reconnect
   * storm resyncs thousands of devices at once, most with nothing new.
   */
  async timelinePage(
    userId: string,
    afterSyncSeq: number,
    limit: number,
  ): Promise<{ entries: TimelineEntry[]; head: number }> {
    const key = `${userId}/${afterSyncSeq}/${limit}`;
    return (await this.#pages.get([key])).get(key)!;
  }

  async history(query: HistoryQuery): Promise<StoredMessage[]> {
    const backward = query.direction === 'backward';
    const start = query.startSeq ?? (backward ? Number.MAX_SAFE_INTEGER : 0);
    const rows = await this.#sql.query(
      `select ${MESSAGE_COLUMNS} from message.messages m
        where m.session_id = ?
          and m.seq ${backward ? '<' : '>'} ?
          and m.seq > coalesce((select cleared_seq from message.cursors where user_id = ? and session_id = ?), 0)
          and not exists (select 1 from message.hidden_messages h where h.user_id = ? and h.message_id = m.message_id)
          and m.created_at >= ?
        order by m.seq ${backward ? 'desc' : 'asc'}
        limit ?`,
      [
        query.sessionId,
        start,
        query.userId,
        query.sessionId,
        query.userId,
        query.from ?? new Date(0),
        query.limit,
      ],
    );
    return rows.map(toMessage);
  }

  /** Messages per (minute, content type) created at or after `from` (all conversations). */
  async countsByMinute(from: Date): Promise<Array<{ minute: Date; contentType: string; count: number }>> {
    const rows = await this.#sql.query(
      `select date_trunc('minute', m.created_at) as minute, m.content_type, count(*)::int as count
         from message.messages m where m.created_at >= ?
        group by 1, 2`,
      [from],
    );
    return rows.map((row) => ({
      minute: new Date(row.minute as string),
      contentType: row.content_type as string,
      count: Number(row.count),
    }));
  }

  /**
   * How many messages the table holds (its attached partitions). Counting a large partitioned
   * table exactly reads all of it, so from `exactBelow` rows on (by the planner's statistics, which
   * autovacuum keeps) their estimate is returned instead; below it, or before any statistics
   * exist, an exact count.
   */
  async countAll(exactBelow: number): Promise<number> {
    const [estimate] = await this.#sql.query(
      `select coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 as rows
         from pg_inherits i
         join pg_class c on c.oid = i.inhrelid
         join pg_class p on p.oid = i.inhparent
         join pg_namespace n on n.oid = p.relnamespace
        where n.nspname = 'message' and p.relname = 'messages'`,
    );
    const rows = Number(estimate?.rows ?? 0);
    if (rows >= exactBelow) return Math.round(rows);
    const [row] = await this.#sql.query('select count(*)::bigint as count from message.messages');
    return Number(row?.count ?? 0);
  }
}
