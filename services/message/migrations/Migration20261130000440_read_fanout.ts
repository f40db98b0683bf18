import { Migration } from '@mikro-orm/migrations';

/**
 * Read-time fan-out for big groups (DESIGN §6). A message of such a group is stored once, numbered
 * by the group's `seq` only: no syncSeq, no timeline row per member. Who sees it is kept as
 * membership periods instead: a member sees the messages with `from_seq < seq <= to_seq` (open
 * period: no upper bound) of each of their periods, and reads them by the group's seq.
 *
 * `conversations.read_fanout_from` is the group seq after which the group's messages are read
 * fan-out (null: write fan-out, every member's timeline holds them). It is set once, by the first
 * such message, and never cleared: the messages up to it are in the timelines, those after it only
 * in the group, so every message reaches each member by exactly one of the two ways.
 *
 * `group_members.after_sync_seq` is the member's syncSeq when the period began: the write fan-out
 * messages of the group before it are at or below it in their timeline, so a device that has its
 * timeline up to there has everything of the group before `from_seq` (the gateway holds the group's
 * frames until then, which keeps the conversation in order across the switch).
 */
export class Migration20261130000440_read_fanout extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "message"."conversations" add column "read_fanout_from" bigint null');
    this.addSql(`create table "message"."group_members" (
      "session_id" varchar(64) not null,
      "user_id" bigint not null,
      "from_seq" bigint not null,
      "to_seq" bigint null,
      "after_sync_seq" bigint not null,
      primary key ("session_id", "user_id", "from_seq")
    )`);
    this.addSql(
      'create index "group_members_user_idx" on "message"."group_members" ("user_id", "session_id")',
    );
    this.addSql(
      'create unique index "group_members_open_uq" on "message"."group_members" ("session_id", "user_id") where "to_seq" is null',
    );
    // One read fan-out message: as store_message, less the per-member syncSeqs and timeline rows,
    // plus, where the membership changed, the periods opened and closed by it.
    this.addSql(`create function "message"."store_read_fanout_message"(p_send jsonb) returns jsonb language plpgsql as $fn$
    declare
      v_session varchar := p_send->>'sessionId';
      v_sender bigint := (p_send->>'senderId')::bigint;
      v_client_msg_id varchar := p_send->>'clientMsgId';
      v_created_at timestamptz := (p_send->>'createdAt')::timestamptz;
      v_seq bigint;
      v_first record;
      v_joined bigint[];
      v_left bigint[];
    begin
      insert into "message"."sent_messages" (sender_id, client_msg_id, message_id, session_id, seq, sender_sync_seq, created_at)
        values (v_sender, v_client_msg_id, (p_send->>'messageId')::bigint, v_session, 0, 0, v_created_at)
        on conflict do nothing;
      if not found then
        select * into v_first from "message"."sent_messages" where sender_id = v_sender and client_msg_id = v_client_msg_id;
        return jsonb_build_object('duplicate', true, 'messageId', v_first.message_id::text,
          'sessionId', v_first.session_id, 'seq', v_first.seq, 'senderSyncSeq', v_first.sender_sync_seq,
          'createdAt', v_first.created_at);
      end if;

      insert into "message"."conversations" (session_id, session_type, last_seq, read_fanout_from)
        values (v_session, 'group', 1, 0)
        on conflict (session_id) do update set last_seq = "message"."conversations".last_seq + 1,
          read_fanout_from = coalesce("message"."conversations".read_fanout_from, "message"."conversations".last_seq)
        returning last_seq into v_seq;

      -- p_send.members: the membership changed (or this service instance has not stored a message
      -- of the group yet): the periods are made to match it. Without it they stay as they are.
      if p_send ? 'members' then
        select coalesce(array_agg(u::bigint), '{}') into v_joined from jsonb_array_elements_text(p_send->'members') u
          where not exists (select 1 from "message"."group_members" p
                             where p.session_id = v_session and p.user_id = u::bigint and p.to_seq is null);
        select coalesce(array_agg(p.user_id), '{}') into v_left from "message"."group_members" p
          where p.session_id = v_session and p.to_seq is null
            and p.user_id not in (select u::bigint from jsonb_array_elements_text(p_send->'members') u);
      else
        v_joined := '{}';
        v_left := '{}';
      end if;
      update "message"."group_members" set to_seq = v_seq - 1
        where session_id = v_session and to_seq is null and user_id = any(v_left);
      insert into "message"."group_members" (session_id, user_id, from_seq, after_sync_seq)
        select v_session, j.u, v_seq - 1, coalesce(s.last_sync_seq, 0)
          from unnest(v_joined) j(u) left join "message"."user_sequences" s on s.user_id = j.u
        on conflict do nothing;

      insert into "message"."cursors" (user_id, session_id, delivered_seq, read_seq, cleared_seq)
        values (v_sender, v_session, v_seq, v_seq, 0)
        on conflict (user_id, session_id) do update set
          delivered_seq = greatest("message"."cursors".delivered_seq, excluded.delivered_seq),
          read_seq = greatest("message"."cursors".read_seq, excluded.read_seq),
          updated_at = now();

      insert into "message"."messages" (message_id, session_id, session_type, sender_id, target_id, client_msg_id, seq,
          content_type, content, search_text, mentions, status, created_at)
        values ((p_send->>'messageId')::bigint, v_session, 'group', v_sender, (p_send->>'targetId')::bigint,
          v_client_msg_id, v_seq, p_send->>'contentType', p_send->'content', p_send->>'searchText',
          p_send->'mentions', 1, v_created_at);
      update "message"."sent_messages" set seq = v_seq where sender_id = v_sender and client_msg_id = v_client_msg_id;
      insert into "message"."outbox" (id, topic, payload, created_at)
        values ((p_send->>'outboxId')::bigint, 'message.created', (p_send->'event') || jsonb_build_object('seq', v_seq), now());
      return jsonb_build_object('duplicate', false, 'seq', v_seq, 'syncSeqs', '{}'::jsonb,
        'readFanout', true, 'joined', to_jsonb(v_joined::text[]), 'left', to_jsonb(v_left::text[]));
    end
    $fn$`);
    this.addSql(storeMessages(true));
  }

  override async down(): Promise<void> {
    this.addSql(storeMessages(false));
    this.addSql('drop function "message"."store_read_fanout_message"(jsonb)');
    this.addSql('drop table "message"."group_members"');
    this.addSql('alter table "message"."conversations" drop column "read_fanout_from"');
  }
}

/**
 * `store_messages` (Migration20261130000430) with or without read fan-out sends: those lock their
 * conversation and sender cursor like any send, but no member's user sequence (they allocate none).
 */
function storeMessages(readFanout: boolean): string {
  const writeFanout = readFanout ? `where not (s ? 'readFanout')` : '';
  return `create or replace function "message"."store_messages"(p_batch jsonb) returns jsonb language plpgsql as $fn$
    declare
      v_results jsonb := '[]'::jsonb;
      v_send jsonb;
    begin
      insert into "message"."conversations" (session_id, session_type, last_seq)
        select distinct s->>'sessionId', s->>'sessionType', 0 from jsonb_array_elements(p_batch) s order by 1
        on conflict (session_id) do nothing;
      perform 1 from "message"."conversations"
        where session_id in (select s->>'sessionId' from jsonb_array_elements(p_batch) s)
        order by session_id for update;

      insert into "message"."cursors" (user_id, session_id, delivered_seq, read_seq, cleared_seq)
        select distinct (s->>'senderId')::bigint, s->>'sessionId', 0, 0, 0 from jsonb_array_elements(p_batch) s
        order by 1, 2
        on conflict (user_id, session_id) do nothing;
      perform 1 from "message"."cursors"
        where (user_id, session_id) in (select (s->>'senderId')::bigint, s->>'sessionId' from jsonb_array_elements(p_batch) s)
        order by user_id, session_id for update;

      insert into "message"."user_sequences" (user_id, last_sync_seq)
        select distinct u::bigint, 0 from jsonb_array_elements(p_batch) s, jsonb_array_elements_text(s->'participants') u
        ${writeFanout}
        order by 1
        on conflict (user_id) do nothing;
      perform 1 from "message"."user_sequences"
        where user_id in (select u::bigint from jsonb_array_elements(p_batch) s, jsonb_array_elements_text(s->'participants') u ${writeFanout})
        order by user_id for update;

      for v_send in select s from jsonb_array_elements(p_batch) with ordinality as b(s, position) order by position loop
        ${
          readFanout
            ? `-- A group switched to read fan-out stays so, whatever the sender thought (a service
        -- instance that has not seen the switch): its messages must never also go to timelines.
        if v_send ? 'readFanout' then
          v_results := v_results || jsonb_build_array("message"."store_read_fanout_message"(v_send));
          continue;
        elsif exists (select 1 from "message"."conversations"
                       where session_id = v_send->>'sessionId' and read_fanout_from is not null) then
          v_results := v_results || jsonb_build_array("message"."store_read_fanout_message"(
            v_send || jsonb_build_object('members', v_send->'participants')));
          continue;
        end if;`
            : ''
        }
        v_results := v_results || jsonb_build_array("message"."store_message"(
          (v_send->>'outboxId')::bigint, v_send->'event',
          (v_send->>'messageId')::bigint, v_send->>'sessionId', v_send->>'sessionType',
          (v_send->>'senderId')::bigint, (v_send->>'targetId')::bigint,
          v_send->>'clientMsgId', v_send->>'contentType', v_send->'content', v_send->>'searchText',
          v_send->'mentions', (v_send->>'createdAt')::timestamptz, v_send->'participants'));
      end loop;
      return v_results;
    end
    $fn$`;
}
