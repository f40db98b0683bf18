import { Migration } from '@mikro-orm/migrations';

/**
 * Group commit: `store_messages` stores a batch of sends in one transaction (one round trip), each
 * exactly as `store_message` stores one, in the batch's order, and returns their results in that
 * order (a duplicate's first result, as for one send).
 *
 * A batch holds many conversations and users, so before storing anything it takes the row locks
 * the sends need in the order every other writer takes them (conversations, the senders'
 * cursors, then user sequences, each sorted by key). Two batches, or a batch and a read receipt
 * or timeline append, then wait for each other instead of deadlocking. Rows created here for
 * locking start at 0, which is what a missing row means to their readers.
 */
export class Migration20261130000430_store_messages extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function "message"."store_messages"(p_batch jsonb) returns jsonb language plpgsql as $fn$
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
        order by 1
        on conflict (user_id) do nothing;
      perform 1 from "message"."user_sequences"
        where user_id in (select u::bigint from jsonb_array_elements(p_batch) s, jsonb_array_elements_text(s->'participants') u)
        order by user_id for update;

      for v_send in select s from jsonb_array_elements(p_batch) with ordinality as b(s, position) order by position loop
        v_results := v_results || jsonb_build_array("message"."store_message"(
          (v_send->>'outboxId')::bigint, v_send->'event',
          (v_send->>'messageId')::bigint, v_send->>'sessionId', v_send->>'sessionType',
          (v_send->>'senderId')::bigint, (v_send->>'targetId')::bigint,
          v_send->>'clientMsgId', v_send->>'contentType', v_send->'content', v_send->>'searchText',
          v_send->'mentions', (v_send->>'createdAt')::timestamptz, v_send->'participants'));
      end loop;
      return v_results;
    end
    $fn$`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function "message"."store_messages"(jsonb)');
  }
}
