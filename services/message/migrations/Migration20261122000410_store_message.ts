import { Migration } from '@mikro-orm/migrations';

/**
 * Storing a message is one round trip: `store_message` claims (sender, clientMsgId), numbers the
 * message in its conversation, gives every participant the next syncSeq and writes the message,
 * the timeline entries, the sender's read position and the message.created event (into the
 * service's outbox, published after commit), in one implicit transaction. Locks are taken in one
 * order (claim, conversation, sender cursor, user sequences by id) as in every other writer. A
 * duplicate send returns the first result with `duplicate: true` and changes nothing.
 */
export class Migration20261122000410_store_message extends Migration {
  override async up(): Promise<void> {
    // Events written in the transaction of the change they report; published after commit.
    this.addSql(`create table "message"."outbox" (
      "id" bigint primary key,
      "topic" varchar(100) not null,
      "payload" jsonb not null,
      "created_at" timestamptz not null
    )`);
    this.addSql('create index "outbox_created_idx" on "message"."outbox" ("created_at")');
    // Search looks only at messages that reached the caller: (user, message) through the timeline.
    this.addSql(
      'create index "timeline_user_message_idx" on "message"."timeline" ("user_id", "message_id") where "message_id" is not null',
    );
    this.addSql(`create function "message"."store_message"(
      p_outbox_id bigint, p_event jsonb,
      p_message_id bigint, p_session_id varchar, p_session_type varchar, p_sender_id bigint, p_target_id bigint,
      p_client_msg_id varchar, p_content_type varchar, p_content jsonb, p_search_text text, p_mentions jsonb,
      p_created_at timestamptz, p_participants jsonb
    ) returns jsonb language plpgsql as $fn$
    declare
      v_seq bigint;
      v_sync jsonb;
      v_first record;
    begin
      insert into "message"."sent_messages" (sender_id, client_msg_id, message_id, session_id, seq, sender_sync_seq, created_at)
        values (p_sender_id, p_client_msg_id, p_message_id, p_session_id, 0, 0, p_created_at)
        on conflict do nothing;
      if not found then
        select * into v_first from "message"."sent_messages"
          where sender_id = p_sender_id and client_msg_id = p_client_msg_id;
        return jsonb_build_object('duplicate', true, 'messageId', v_first.message_id::text,
          'sessionId', v_first.session_id, 'seq', v_first.seq, 'senderSyncSeq', v_first.sender_sync_seq,
          'createdAt', v_first.created_at);
      end if;

      insert into "message"."conversations" (session_id, session_type, last_seq) values (p_session_id, p_session_type, 1)
        on conflict (session_id) do update set last_seq = "message"."conversations".last_seq + 1
        returning last_seq into v_seq;

      insert into "message"."cursors" (user_id, session_id, delivered_seq, read_seq, cleared_seq)
        values (p_sender_id, p_session_id, v_seq, v_seq, 0)
        on conflict (user_id, session_id) do update set
          delivered_seq = greatest("message"."cursors".delivered_seq, excluded.delivered_seq),
          read_seq = greatest("message"."cursors".read_seq, excluded.read_seq),
          updated_at = now();

      with allocated as (
        insert into "message"."user_sequences" (user_id, last_sync_seq)
          select u::bigint, 1 from jsonb_array_elements_text(p_participants) u order by u::bigint
          on conflict (user_id) do update set last_sync_seq = "message"."user_sequences".last_sync_seq + 1
          returning user_id, last_sync_seq
      ), entries as (
        insert into "message"."timeline" (user_id, sync_seq, kind, message_id, created_at)
          select user_id, last_sync_seq, 'message', p_message_id, p_created_at from allocated
      )
      select jsonb_object_agg(user_id::text, last_sync_seq) into v_sync from allocated;

      insert into "message"."messages" (message_id, session_id, session_type, sender_id, target_id, client_msg_id, seq,
          content_type, content, search_text, mentions, status, created_at)
        values (p_message_id, p_session_id, p_session_type, p_sender_id, p_target_id, p_client_msg_id, v_seq,
          p_content_type, p_content, p_search_text, p_mentions, 1, p_created_at);

      -- System messages (sender 0) have no timeline entry of their sender.
      update "message"."sent_messages" set seq = v_seq, sender_sync_seq = coalesce((v_sync->>p_sender_id::text)::bigint, 0)
        where sender_id = p_sender_id and client_msg_id = p_client_msg_id;

      -- The message.created event goes out through the outbox, written in this same transaction.
      insert into "message"."outbox" (id, topic, payload, created_at)
        values (p_outbox_id, 'message.created', p_event || jsonb_build_object('seq', v_seq), now());

      return jsonb_build_object('duplicate', false, 'seq', v_seq, 'syncSeqs', v_sync);
    end
    $fn$`);
  }

  override async down(): Promise<void> {
    this.addSql(
      'drop function "message"."store_message"(bigint, jsonb, bigint, varchar, varchar, bigint, bigint, varchar, varchar, jsonb, text, jsonb, timestamptz, jsonb)',
    );
    this.addSql('drop index "message"."timeline_user_message_idx"');
    this.addSql('drop table "message"."outbox"');
  }
}
