import type { SqlExecutor } from '../../platform/db/index.ts';
import type { Outbox, PendingEvent, StoredEvent } from '../../platform/outbox.ts';
import { storableJson } from '../../platform/text.ts';
import {
  MESSAGE_COLUMNS,
  type MessageStore,
  type StoredMessage,
  type TimelineEvent,
  toMessage,
} from './store.ts';

/**
 * SQL of edits, reactions, pins and threads. Each change and the timeline events that tell the
 * participants about it are written in one transaction (the timeline is the record sync replays).
 */

type Appended = Map<TimelineEvent, number>;

export interface EditVersion {
  version: number;
  contentType: string;
  content: unknown;
  /** When this version was replaced by the next edit. */
  replacedAt: Date;
}

export interface ReactionGroup {
  emoji: string;
  count: number;
  userIds: string[];
  reactedByMe: boolean;
}

export interface PinnedRow {
  message: StoredMessage;
  pinnedBy: string;
  pinnedAt: Date;
}

export interface ThreadSummary {
  rootMessageId: string;
  replyCount: number;
  unreadCount: number;
  lastReplyAt: Date;
}

const json = (value: unknown) => storableJson(value).json;

export class InteractionStore {
  readonly #sql: SqlExecutor;

  readonly #messages: MessageStore;

  readonly #outbox: Outbox;

  constructor(sql: SqlExecutor, messages: MessageStore, outbox: Outbox) {
    this.#sql = sql;
    this.#messages = messages;
    this.#outbox = outbox;
  }

  /**
   * Replaces a message's content, keeping the one it replaces as the next version; undefined when
   * the message was recalled meanwhile. `events` get the new version number.
   */
  async edit(
    messageId: string,
    content: unknown,
    searchText: string,
    editedAt: Date,
    events: (version: number) => TimelineEvent[],
    event: (version: number) => PendingEvent,
  ): Promise<{ version: number; appended: Appended; outbox: StoredEvent[] } | undefined> {
    return this.#sql.transaction(async (tx) => {
      // The row lock orders concurrent edits of one message, so versions never collide.
      const [current] = await tx.query(
        'select content_type, content from message.messages where message_id = ? and status = 1 for update',
        [messageId],
      );
      if (!current) return undefined;
      const [row] = await tx.query(
        `insert into message.message_edits (message_id, version, content_type, content, edited_at)
         select ?, coalesce(max(version), 0) + 1, ?, ?::jsonb, ? from message.message_edits where message_id = ?
         returning version`,
        [messageId, current.content_type, json(current.content), editedAt, messageId],
      );
      await tx.query(
        'update message.messages set content = ?::jsonb, search_text = ?, edited_at = ? where message_id = ?',
        [json(content), searchText, editedAt, messageId],
      );
      const version = Number(row!.version);
      const appended = await this.#messages.appendIn(tx, events(version));
      return { version, appended, outbox: await this.#outbox.store(tx, [event(version)]) };
    });
  }

  async editVersions(messageId: string): Promise<EditVersion[]> {
    const rows = await this.#sql.query(
      `select version, content_type, content, edited_at from message.message_edits
        where message_id = ? order by version`,
      [messageId],
    );
    return rows.map((row) => ({
      version: Number(row.version) - 1,
      contentType: row.content_type as string,
      content: row.content,
      replacedAt: new Date(row.edited_at as string),
    }));
  }

  /**
   * Adds (or removes) one user's emoji on a message, with the events it causes; `changed` false
   * when it was already so. `allowed` refuses an addition beyond the limits (distinct emoji).
   */
  async react(
    message: StoredMessage,
    userId: string,
    emoji: string,
    add: boolean,
    events: (count: number) => TimelineEvent[],
    allowed: (mine: number, distinct: number) => void,
    /** The event an addition publishes (none for a removal). */
    event?: PendingEvent,
  ): Promise<{ changed: boolean; count: number; appended: Appended; outbox: StoredEvent[] }> {
    return this.#sql.transaction(async (tx) => {
      if (add) {
        const [limits] = await tx.query(
          `select count(*) filter (where user_id = ?)::int as mine, count(distinct emoji)::int as distinct_emoji,
                  coalesce(bool_or(emoji = ?), false) as known, coalesce(bool_or(emoji = ? and user_id = ?), false) as have
             from message.reactions where message_id = ?`,
          [userId, emoji, emoji, userId, message.messageId],
        );
        // Adding what one has already changes nothing; a known emoji adds no new kind.
        if (!limits?.have)
          allowed(Number(limits?.mine ?? 0), limits?.known ? 0 : Number(limits?.distinct_emoji ?? 0));
      }
      const changed = add
        ? await tx.query(
            `insert into message.reactions (message_id, user_id, emoji, session_id) values (?, ?, ?, ?)
             on conflict do nothing returning 1 as ok`,
            [message.messageId, userId, emoji, message.sessionId],
          )
        : await tx.query(
            'delete from message.reactions where message_id = ? and user_id = ? and emoji = ? returning 1 as ok',
            [message.messageId, userId, emoji],
          );
      const [row] = await tx.query(
        'select count(*)::int as count from message.reactions where message_id = ? and emoji = ?',
        [message.messageId, emoji],
      );
      const count = Number(row?.count ?? 0);
      if (changed.length === 0) return { changed: false, count, appended: new Map(), outbox: [] };
      const appended = await this.#messages.appendIn(tx, events(count));
      return { changed: true, count, appended, outbox: await this.#outbox.store(tx, event ? [event] : []) };
    });
  }

  /** Each emoji on a message with its count, (up to `maxUsers`) who, first reactions first, and whether `userId` is one. */
  async reactions(messageId: string, userId: string, maxUsers: number): Promise<ReactionGroup[]> {
    const rows = await this.#sql.query(
      `select emoji, count(*)::int as count, bool_or(user_id = ?) as mine,
              (array_agg(user_id::text order by created_at, user_id))[1:?] as user_ids
         from message.reactions where message_id = ?
        group by emoji order by min(created_at), emoji`,
      [userId, maxUsers, messageId],
    );
    return rows.map((row) => ({
      emoji: row.emoji as string,
      count: Number(row.count),
      userIds: (row.user_ids as string[] | null) ?? [],
      reactedByMe: row.mine === true,
    }));
  }

  /** Pins or unpins a message; `changed` false when it already was so. `allowed` gets the pin count first. */
  async pin(
    message: StoredMessage,
    by: string,
    pinned: boolean,
    events: () => TimelineEvent[],
    allowed: (pins: number) => void,
  ): Promise<{ changed: boolean; appended: Appended }> {
    return this.#sql.transaction(async (tx) => {
      if (pinned) {
        // The conversation's row lock serialises pins, so the limit holds under concurrency.
        await tx.query('select 1 from message.conversations where session_id = ? for update', [
          message.sessionId,
        ]);
        const [row] = await tx.query('select count(*)::int as pins from message.pins where session_id = ?', [
          message.sessionId,
        ]);
        allowed(Number(row?.pins ?? 0));
      }
      const changed = pinned
        ? await tx.query(
            `insert into message.pins (session_id, message_id, pinned_by) values (?, ?, ?)
             on conflict do nothing returning 1 as ok`,
            [message.sessionId, message.messageId, by],
          )
        : await tx.query(
            'delete from message.pins where session_id = ? and message_id = ? returning 1 as ok',
            [message.sessionId, message.messageId],
          );
      if (changed.length === 0) return { changed: false, appended: new Map() };
      return { changed: true, appended: await this.#messages.appendIn(tx, events()) };
    });
  }

  /** A conversation's pinned messages that are not recalled, newest pin first. */
  async pinned(sessionId: string, from: Date | undefined): Promise<PinnedRow[]> {
    const rows = await this.#sql.query(
      `select ${MESSAGE_COLUMNS}, p.pinned_by::text as pinned_by, p.pinned_at
         from message.pins p join message.messages m on m.message_id = p.message_id
        where p.session_id = ? and m.status = 1 and m.created_at >= ?
        order by p.pinned_at desc, p.message_id desc`,
      [sessionId, from ?? new Date(0)],
    );
    return rows.map((row) => ({
      message: toMessage(row),
      pinnedBy: row.pinned_by as string,
      pinnedAt: new Date(row.pinned_at as string),
    }));
  }

  /**
   * Links a stored reply to its thread (once: a retried send finds it linked), moves the sender's
   * read position of the thread to it, and appends what `events` makes of each participant's
   * unread count; undefined when it was linked before.
   */
  async linkReply(
    reply: { messageId: string; rootMessageId: string; sessionId: string; senderId: string; seq: number },
    participants: string[],
    events: (replyCount: number, unread: Map<string, number>) => TimelineEvent[],
  ): Promise<Appended | undefined> {
    return this.#sql.transaction(async (tx) => {
      const inserted = await tx.query(
        `insert into message.thread_replies (message_id, root_message_id, session_id, sender_id, seq)
         values (?, ?, ?, ?, ?) on conflict do nothing returning 1 as ok`,
        [reply.messageId, reply.rootMessageId, reply.sessionId, reply.senderId, reply.seq],
      );
      if (inserted.length === 0) return undefined;
      await this.#advanceRead(tx, reply.senderId, reply.rootMessageId, reply.seq);
      const replyCount = await this.#replyCount(tx, reply.rootMessageId);
      const unread = await this.#unread(tx, reply.rootMessageId, participants);
      return this.#messages.appendIn(tx, events(replyCount, unread));
    });
  }

  async #advanceRead(tx: SqlExecutor, userId: string, rootMessageId: string, seq: number) {
    const [row] = await tx.query(
      `insert into message.thread_reads (user_id, root_message_id, read_seq) values (?, ?, ?)
       on conflict (user_id, root_message_id) do update
         set read_seq = greatest(message.thread_reads.read_seq, excluded.read_seq)
       returning read_seq`,
      [userId, rootMessageId, seq],
    );
    return Number(row!.read_seq);
  }

  async #replyCount(tx: SqlExecutor, rootMessageId: string): Promise<number> {
    const [row] = await tx.query(
      'select count(*)::int as count from message.thread_replies where root_message_id = ?',
      [rootMessageId],
    );
    return Number(row?.count ?? 0);
  }

  /** Replies of a thread each user has not read (their own never count). */
  async #unread(tx: SqlExecutor, rootMessageId: string, userIds: string[]): Promise<Map<string, number>> {
    const rows = await tx.query(
      `select u.id::text as user_id, count(r.message_id)::int as unread
         from (select x::bigint as id from jsonb_array_elements_text(?::jsonb) x) u
         left join message.thread_reads t on t.user_id = u.id and t.root_message_id = ?
         left join message.thread_replies r on r.root_message_id = ? and r.sender_id <> u.id
               and r.seq > coalesce(t.read_seq, 0)
        group by u.id`,
      [json(userIds), rootMessageId, rootMessageId],
    );
    return new Map(rows.map((row) => [row.user_id as string, Number(row.unread)]));
  }

  /**
   * Marks a thread read up to its newest reply for a user, with the event for their devices;
   * undefined when there was nothing new to read.
   */
  async readThread(
    userId: string,
    rootMessageId: string,
    event: (readSeq: number, replyCount: number) => TimelineEvent,
  ): Promise<Appended | undefined> {
    return this.#sql.transaction(async (tx) => {
      const [last] = await tx.query(
        'select coalesce(max(seq), 0) as seq from message.thread_replies where root_message_id = ?',
        [rootMessageId],
      );
      const seq = Number(last?.seq ?? 0);
      const [before] = await tx.query(
        'select read_seq from message.thread_reads where user_id = ? and root_message_id = ? for update',
        [userId, rootMessageId],
      );
      if (seq === 0 || Number(before?.read_seq ?? 0) >= seq) return undefined;
      await this.#advanceRead(tx, userId, rootMessageId, seq);
      return this.#messages.appendIn(tx, [event(seq, await this.#replyCount(tx, rootMessageId))]);
    });
  }

  /** A thread's replies after `afterSeq` that the user has not deleted or cleared, in order. */
  async replies(userId: string, rootMessageId: string, afterSeq: number, limit: number) {
    const rows = await this.#sql.query(
      `select ${MESSAGE_COLUMNS} from message.thread_replies r
         join message.messages m on m.message_id = r.message_id
        where r.root_message_id = ? and r.seq > ?
          and m.seq > coalesce((select cleared_seq from message.cursors where user_id = ? and session_id = r.session_id), 0)
          and not exists (select 1 from message.hidden_messages h where h.user_id = ? and h.message_id = m.message_id)
        order by r.seq limit ?`,
      [rootMessageId, afterSeq, userId, userId, limit],
    );
    return rows.map(toMessage);
  }

  /** The thread a reply belongs to, if it is one. */
  async rootOf(messageId: string): Promise<string | undefined> {
    const [row] = await this.#sql.query(
      'select root_message_id::text as root from message.thread_replies where message_id = ?',
      [messageId],
    );
    return row?.root as string | undefined;
  }

  /** Threads of a conversation (their roots), newest reply first, with the user's unread counts. */
  async threads(userId: string, sessionId: string, limit: number): Promise<ThreadSummary[]> {
    const rows = await this.#sql.query(
      `select r.root_message_id::text as root, count(*)::int as replies, max(r.created_at) as last_reply_at,
              count(*) filter (where r.sender_id <> ? and r.seq > coalesce(t.read_seq, 0))::int as unread
         from message.thread_replies r
         left join message.thread_reads t on t.user_id = ? and t.root_message_id = r.root_message_id
        where r.session_id = ?
        group by r.root_message_id, t.read_seq
        order by max(r.seq) desc limit ?`,
      [userId, userId, sessionId, limit],
    );
    return rows.map((row) => ({
      rootMessageId: row.root as string,
      replyCount: Number(row.replies),
      unreadCount: Number(row.unread),
      lastReplyAt: new Date(row.last_reply_at as string),
    }));
  }

  /** A thread's reply count and the user's unread count in it. */
  async threadCounts(userId: string, rootMessageId: string) {
    const [replyCount, unread] = await Promise.all([
      this.#replyCount(this.#sql, rootMessageId),
      this.#unread(this.#sql, rootMessageId, [userId]),
    ]);
    return { replyCount, unreadCount: unread.get(userId) ?? 0 };
  }
}
