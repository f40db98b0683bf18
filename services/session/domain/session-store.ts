import { type MikroORM, type SqlExecutor, sqlExecutor } from '../../platform/db/index.ts';

/**
 * The session service's SQL. Event handlers are upserts, so that they are idempotent and
 * order-independent; each of their transactions first locks the (owner, session) rows it changes,
 * in owner order, so that concurrent handlers of one conversation run one after the other.
 */

export type SessionKind = 'single' | 'group' | 'system';

/** A user of a conversation and what the conversation points at for them. */
export interface Owner {
  ownerId: string;
  targetId: string;
}

export interface SessionRow {
  ownerId: string;
  sessionId: string;
  sessionType: SessionKind;
  targetId: string;
  lastMessageId: string | null;
  lastSenderId: string | null;
  lastContentType: string | null;
  lastPreview: string | null;
  lastSeq: number;
  lastMessageAt: Date | null;
  lastRecalled: boolean;
  readSeq: number;
  clearedSeq: number;
  /** Shown in the list (not deleted, and known from more than a read receipt). */
  visible: boolean;
  /** Removed from the list by its owner (and no newer message since). */
  deleted: boolean;
  isPinned: boolean;
  isMuted: boolean;
  createdAt: Date;
  updatedAt: Date;
  unreadCount: number;
  mentionUnread: number;
}

export interface NewMessage {
  messageId: string;
  sessionId: string;
  sessionType: SessionKind;
  senderId: string;
  seq: number;
  contentType: string;
  preview: string;
  mentions: string[];
  mentionAll: boolean;
  createdAt: string;
}

export type FlagOutcome = 'changed' | 'unchanged' | 'deleted' | 'none';

const S = '"session"."sessions"';
const U = '"session"."session_unread"';
const R = '"session"."recalled_messages"';

const VISIBLE = '(s.hidden_until_seq is null or s.last_seq > s.hidden_until_seq)';

const COLUMNS = `s.owner_id::text as "ownerId", s.session_id as "sessionId", s.session_type as "sessionType",
  s.target_id::text as "targetId", s.last_message_id::text as "lastMessageId",
  s.last_sender_id::text as "lastSenderId", s.last_content_type as "lastContentType",
  s.last_preview as "lastPreview", s.last_seq::text as "lastSeq", s.last_message_at as "lastMessageAt",
  s.last_recalled as "lastRecalled", s.read_seq::text as "readSeq", s.cleared_seq::text as "clearedSeq",
  ${VISIBLE} as "visible", (not ${VISIBLE} and s.deleted_at is not null) as "deleted",
  s.is_pinned as "isPinned", s.is_muted as "isMuted", s.created_at as "createdAt", s.updated_at as "updatedAt",
  coalesce(u.unread, 0)::int as "unreadCount", coalesce(u.mentioned, 0)::int as "mentionUnread"`;

const FROM = `from ${S} s left join lateral (
    select count(*) as unread, count(*) filter (where x.mentioned) as mentioned
    from ${U} x where x.owner_id = s.owner_id and x.session_id = s.session_id
  ) u on true`;

/**
 * Inserts rows for owners that have none yet, hidden until a message arrives (hidden_until_seq 0),
 * with one position column set from a parameter. Parameters: session id, type, [value,] owners.
 */
const ghosts = (column?: 'read_seq' | 'cleared_seq') =>
  `insert into ${S} as s ("owner_id", "session_id", "session_type", "target_id", "hidden_until_seq",
    ${column ? `"${column}", ` : ''}"created_at", "updated_at")
  select o.owner_id, ?, ?, o.target_id, 0, ${column ? '?, ' : ''}clock_timestamp(), clock_timestamp()
  from jsonb_to_recordset(?::jsonb) as o(owner_id bigint, target_id bigint)
  order by o.owner_id`;

/** Deletes the owner's unread rows up to a seq; touches the conversation when there were any. */
const FORGET_UNREAD_UP_TO = `with gone as (
    delete from ${U} where owner_id = ? and session_id = ? and seq <= ? returning owner_id
  )
  update ${S} set updated_at = clock_timestamp()
  where owner_id = ? and session_id = ? and exists (select 1 from gone)`;

const toDate = (value: unknown): Date => (value instanceof Date ? value : new Date(String(value)));
const ownersJson = (owners: Owner[]) =>
  JSON.stringify(
    [...owners]
      .sort((a, b) => (BigInt(a.ownerId) < BigInt(b.ownerId) ? -1 : 1))
      .map((o) => ({ owner_id: o.ownerId, target_id: o.targetId })),
  );

function toRow(raw: Record<string, unknown>): SessionRow {
  return {
    ownerId: String(raw.ownerId),
    sessionId: String(raw.sessionId),
    sessionType: raw.sessionType as SessionKind,
    targetId: String(raw.targetId),
    lastMessageId: (raw.lastMessageId as string | null) ?? null,
    lastSenderId: (raw.lastSenderId as string | null) ?? null,
    lastContentType: (raw.lastContentType as string | null) ?? null,
    lastPreview: (raw.lastPreview as string | null) ?? null,
    lastSeq: Number(raw.lastSeq),
    lastMessageAt: raw.lastMessageAt == null ? null : toDate(raw.lastMessageAt),
    lastRecalled: Boolean(raw.lastRecalled),
    readSeq: Number(raw.readSeq),
    clearedSeq: Number(raw.clearedSeq),
    visible: Boolean(raw.visible),
    deleted: Boolean(raw.deleted),
    isPinned: Boolean(raw.isPinned),
    isMuted: Boolean(raw.isMuted),
    createdAt: toDate(raw.createdAt),
    updatedAt: toDate(raw.updatedAt),
    unreadCount: Number(raw.unreadCount),
    mentionUnread: Number(raw.mentionUnread),
  };
}

export class SessionStore {
  readonly #sql: SqlExecutor;

  constructor(orm: MikroORM) {
    this.#sql = sqlExecutor(orm);
  }

  /** The database clock (the one updated_at is written with). */
  async now(): Promise<Date> {
    const [row] = await this.#sql.query<{ now: unknown }>('select clock_timestamp() as now');
    return toDate(row!.now);
  }

  /** The owner read the conversation up to readSeq. */
  applyRead(owner: Owner, sessionId: string, sessionType: SessionKind, readSeq: number): Promise<void> {
    return this.#raisePosition('read_seq', owner, sessionId, sessionType, readSeq);
  }

  /** The owner cleared the history up to clearedSeq: those messages are no longer last or unread. */
  applyCleared(owner: Owner, sessionId: string, sessionType: SessionKind, clearedSeq: number): Promise<void> {
    return this.#raisePosition('cleared_seq', owner, sessionId, sessionType, clearedSeq);
  }

  /** Moves a read or cleared position forward (never back) and forgets the unread rows it covers. */
  async #raisePosition(
    column: 'read_seq' | 'cleared_seq',
    owner: Owner,
    sessionId: string,
    sessionType: SessionKind,
    seq: number,
  ): Promise<void> {
    await this.#sql.transaction(async (tx) => {
      await tx.query(
        `${ghosts(column)}
         on conflict ("owner_id", "session_id") do update set
           "${column}" = excluded.${column}, "updated_at" = clock_timestamp()
         where s.${column} < excluded.${column}`,
        [sessionId, sessionType, seq, ownersJson([owner])],
      );
      await tx.query(FORGET_UNREAD_UP_TO, [owner.ownerId, sessionId, seq, owner.ownerId, sessionId]);
    });
  }

  /** A message was recalled: remembered (it may not have arrived yet), no longer unread, marked when last. */
  async applyRecalled(
    sessionId: string,
    sessionType: SessionKind,
    owners: Owner[],
    recall: { messageId: string; seq: number; recalledAt: string },
  ): Promise<void> {
    await this.#sql.transaction(async (tx) => {
      await tx.query(
        `${ghosts()}
         on conflict ("owner_id", "session_id") do update set
           "last_recalled" = true, "updated_at" = clock_timestamp()
         where s.last_seq = ? and not s.last_recalled`,
        [sessionId, sessionType, ownersJson(owners), recall.seq],
      );
      await tx.query(
        `insert into ${R} ("session_id", "seq", "message_id", "recalled_at") values (?, ?, ?, ?::timestamptz)
         on conflict do nothing`,
        [sessionId, recall.seq, recall.messageId, recall.recalledAt],
      );
      await tx.query(
        `with gone as (delete from ${U} where session_id = ? and seq = ? returning owner_id)
         update ${S} s set updated_at = clock_timestamp()
         from gone where s.owner_id = gone.owner_id and s.session_id = ?`,
        [sessionId, recall.seq, sessionId],
      );
    });
  }

  /** Lists the conversation (again). True when it was not listed before. */
  async open(owner: Owner, sessionId: string, sessionType: SessionKind): Promise<boolean> {
    const rows = await this.#sql.query(
      `insert into ${S} as s ("owner_id", "session_id", "session_type", "target_id", "created_at", "updated_at")
       values (?, ?, ?, ?, clock_timestamp(), clock_timestamp())
       on conflict ("owner_id", "session_id") do update set
         "hidden_until_seq" = null, "deleted_at" = null, "updated_at" = clock_timestamp()
       where not ${VISIBLE}
       returning 1`,
      [owner.ownerId, sessionId, sessionType, owner.targetId],
    );
    return rows.length > 0;
  }

  /** Removes the conversation from the owner's list until a newer message arrives. */
  async hide(ownerId: string, sessionId: string): Promise<'hidden' | 'deleted' | 'none'> {
    const hidden = await this.#sql.transaction(async (tx) => {
      const rows = await tx.query(
        `update ${S} s set hidden_until_seq = s.last_seq, deleted_at = clock_timestamp(),
           updated_at = clock_timestamp()
         where s.owner_id = ? and s.session_id = ? and ${VISIBLE}
         returning 1`,
        [ownerId, sessionId],
      );
      if (rows.length === 0) return false;
      // Everything up to the last message is gone from view; later messages count again.
      await tx.query(`delete from ${U} where owner_id = ? and session_id = ?`, [ownerId, sessionId]);
      return true;
    });
    if (hidden) return 'hidden';
    const row = await this.find(ownerId, sessionId);
    return row?.deleted ? 'deleted' : 'none';
  }

  async setFlag(
    ownerId: string,
    sessionId: string,
    flag: 'is_pinned' | 'is_muted',
    value: boolean,
  ): Promise<FlagOutcome> {
    const rows = await this.#sql.query(
      `update ${S} s set "${flag}" = ?, updated_at = clock_timestamp()
       where s.owner_id = ? and s.session_id = ? and ${VISIBLE} and s."${flag}" <> ?
       returning 1`,
      [value, ownerId, sessionId, value],
    );
    if (rows.length > 0) return 'changed';
    const row = await this.find(ownerId, sessionId);
    if (!row) return 'none';
    if (row.visible) return 'unchanged';
    return row.deleted ? 'deleted' : 'none';
  }

  /** The owner's row, listed or not. */
  async find(ownerId: string, sessionId: string): Promise<SessionRow | null> {
    const [raw] = await this.#sql.query(
      `select ${COLUMNS} ${FROM} where s.owner_id = ? and s.session_id = ?`,
      [ownerId, sessionId],
    );
    return raw ? toRow(raw) : null;
  }

  /** Listed conversations: pinned first, then by latest activity. */
  async list(
    ownerId: string,
    page: number,
    pageSize: number,
  ): Promise<{ total: number; rows: SessionRow[] }> {
    const [count] = await this.#sql.query<{ total: number }>(
      `select count(*)::int as total from ${S} s where s.owner_id = ? and ${VISIBLE}`,
      [ownerId],
    );
    const rows = await this.#sql.query(
      `select ${COLUMNS} ${FROM} where s.owner_id = ? and ${VISIBLE}
       order by s.is_pinned desc, coalesce(s.last_message_at, s.created_at) desc, s.session_id
       limit ? offset ?`,
      [ownerId, pageSize, (page - 1) * pageSize],
    );
    return { total: Number(count?.total ?? 0), rows: rows.map(toRow) };
  }

  /** Conversations changed after `since`: listed ones and ones the owner deleted. */
  async changedSince(ownerId: string, since: Date): Promise<SessionRow[]> {
    const rows = await this.#sql.query(
      `select ${COLUMNS} ${FROM}
       where s.owner_id = ? and s.updated_at > ?::timestamptz and (${VISIBLE} or s.deleted_at is not null)
       order by s.updated_at, s.session_id`,
      [ownerId, since.toISOString()],
    );
    return rows.map(toRow);
  }

  async unread(ownerId: string): Promise<{ total: number; sessions: number; mentionUnread: number }> {
    const [row] = await this.#sql.query<{ total: number; sessions: number; mentionUnread: number }>(
      `select coalesce(sum(u.unread) filter (where not s.is_muted), 0)::int as total,
         (count(*) filter (where not s.is_muted))::int as sessions,
         coalesce(sum(u.mentioned), 0)::int as "mentionUnread"
       from (
         select session_id, count(*) as unread, count(*) filter (where mentioned) as mentioned
         from ${U} where owner_id = ? group by session_id
       ) u
       join ${S} s on s.owner_id = ? and s.session_id = u.session_id
       where ${VISIBLE}`,
      [ownerId, ownerId],
    );
    return {
      total: Number(row?.total ?? 0),
      sessions: Number(row?.sessions ?? 0),
      mentionUnread: Number(row?.mentionUnread ?? 0),
    };
  }

  async settings(
    ownerId: string,
    sessionIds: string[],
  ): Promise<Map<string, { isMuted: boolean; isPinned: boolean }>> {
    if (sessionIds.length === 0) return new Map();
    const rows = await this.#sql.query<{ sessionId: string; isMuted: boolean; isPinned: boolean }>(
      `select session_id as "sessionId", is_muted as "isMuted", is_pinned as "isPinned" from ${S}
       where owner_id = ? and session_id in (select jsonb_array_elements_text(?::jsonb))`,
      [ownerId, JSON.stringify(sessionIds)],
    );
    return new Map(rows.map((r) => [r.sessionId, { isMuted: r.isMuted, isPinned: r.isPinned }]));
  }
}
