import type { SqlExecutor } from '../../platform/db/index.ts';
import type { NewMessage, Owner } from './session-store.ts';

/**
 * The conversation list's projection of new messages, for a batch of `message.created` events at
 * once: four statements in one transaction whatever the batch's size (instead of four per event).
 * Each row of the input is one (message, participant); the statements do what applying the
 * messages one by one in seq order would do, so the result is the same in any order, and applying
 * a message again changes nothing (redelivery):
 * - each participant's row gets the newest message of the batch as last message when it is newer
 *   than what it has, and a sender has read up to their newest message;
 * - a message recalled before it arrived is marked recalled when it is last;
 * - a sender's unread entries up to what they sent are forgotten;
 * - everyone else gets an unread entry unless they had read, cleared or deleted past it, or it was
 *   recalled already.
 * Rows are locked in (owner, session) order, so that concurrent batches do not deadlock.
 */

const S = '"session"."sessions"';
const U = '"session"."session_unread"';
const R = '"session"."recalled_messages"';

/** The batch as a relation: one row per (message, participant). */
const INPUT = `input as (
  select * from jsonb_to_recordset(?::jsonb) as i(owner_id bigint, target_id bigint, session_id text,
    session_type text, message_id bigint, sender_id bigint, content_type text, preview text, seq bigint,
    created_at timestamptz, mentioned boolean)
)`;

const UPSERT_LAST = `with ${INPUT},
  latest as (select distinct on (owner_id, session_id) * from input order by owner_id, session_id, seq desc),
  own as (select owner_id, session_id, max(seq) as read_seq from input where owner_id = sender_id group by 1, 2)
  insert into ${S} as s ("owner_id", "session_id", "session_type", "target_id", "last_message_id",
    "last_sender_id", "last_content_type", "last_preview", "last_seq", "last_message_at", "read_seq",
    "created_at", "updated_at")
  select l.owner_id, l.session_id, l.session_type, l.target_id, l.message_id, l.sender_id, l.content_type,
    l.preview, l.seq, l.created_at, coalesce(o.read_seq, 0), clock_timestamp(), clock_timestamp()
  from latest l left join own o on o.owner_id = l.owner_id and o.session_id = l.session_id
  order by l.owner_id, l.session_id
  on conflict ("owner_id", "session_id") do update set
    "last_message_id" = case when excluded.last_seq > s.last_seq then excluded.last_message_id else s.last_message_id end,
    "last_sender_id" = case when excluded.last_seq > s.last_seq then excluded.last_sender_id else s.last_sender_id end,
    "last_content_type" = case when excluded.last_seq > s.last_seq then excluded.last_content_type else s.last_content_type end,
    "last_preview" = case when excluded.last_seq > s.last_seq then excluded.last_preview else s.last_preview end,
    "last_message_at" = case when excluded.last_seq > s.last_seq then excluded.last_message_at else s.last_message_at end,
    "last_recalled" = case when excluded.last_seq > s.last_seq then false else s.last_recalled end,
    "last_edit_version" = case when excluded.last_seq > s.last_seq then 0 else s.last_edit_version end,
    "last_seq" = greatest(s.last_seq, excluded.last_seq),
    "read_seq" = greatest(s.read_seq, excluded.read_seq),
    "updated_at" = clock_timestamp()
  where excluded.last_seq > s.last_seq or excluded.read_seq > s.read_seq`;

/** A recall that was handled before its message. */
const MARK_RECALLED = `with ${INPUT},
  m as (select distinct session_id, seq from input)
  update ${S} s set last_recalled = true, updated_at = clock_timestamp()
  from m
  where s.session_id = m.session_id and s.last_seq = m.seq and not s.last_recalled
    and exists (select 1 from ${R} r where r.session_id = m.session_id and r.seq = m.seq)`;

const FORGET_OWN_UNREAD = `with ${INPUT},
  own as (select owner_id, session_id, max(seq) as seq from input where owner_id = sender_id group by 1, 2),
  gone as (
    delete from ${U} u using own
    where u.owner_id = own.owner_id and u.session_id = own.session_id and u.seq <= own.seq
    returning u.owner_id, u.session_id
  )
  update ${S} s set updated_at = clock_timestamp()
  from (select distinct owner_id, session_id from gone) g
  where s.owner_id = g.owner_id and s.session_id = g.session_id`;

const ADD_UNREAD = `with ${INPUT},
  added as (
    insert into ${U} ("owner_id", "session_id", "seq", "message_id", "mentioned")
    select i.owner_id, i.session_id, i.seq, i.message_id, i.mentioned
    from input i join ${S} s on s.owner_id = i.owner_id and s.session_id = i.session_id
    where i.owner_id <> i.sender_id
      and i.seq > greatest(s.read_seq, s.cleared_seq, coalesce(s.hidden_until_seq, 0))
      and not exists (select 1 from ${R} r where r.session_id = i.session_id and r.seq = i.seq)
    order by i.owner_id, i.session_id, i.seq
    on conflict do nothing
    returning owner_id, session_id
  )
  update ${S} s set updated_at = clock_timestamp()
  from (select distinct owner_id, session_id from added) a
  where s.owner_id = a.owner_id and s.session_id = a.session_id`;

/** A message and the participants whose lists it reaches. */
export interface MessageForList {
  message: NewMessage;
  owners: Owner[];
}

function inputRows(batch: MessageForList[]): string {
  return JSON.stringify(
    batch.flatMap(({ message: m, owners }) =>
      owners.map((o) => ({
        owner_id: o.ownerId,
        target_id: o.targetId,
        session_id: m.sessionId,
        session_type: m.sessionType,
        message_id: m.messageId,
        sender_id: m.senderId,
        content_type: m.contentType,
        preview: m.preview,
        seq: m.seq,
        created_at: m.createdAt,
        mentioned: m.mentionAll || m.mentions.includes(o.ownerId),
      })),
    ),
  );
}

/** Applies a batch of new messages to their participants' conversation lists, in one transaction. */
export async function applyMessages(sql: SqlExecutor, batch: MessageForList[]): Promise<void> {
  if (batch.length === 0) return;
  const rows = inputRows(batch);
  await sql.transaction(async (tx) => {
    await tx.query(UPSERT_LAST, [rows]);
    await tx.query(MARK_RECALLED, [rows]);
    await tx.query(FORGET_OWN_UNREAD, [rows]);
    await tx.query(ADD_UNREAD, [rows]);
  });
}
