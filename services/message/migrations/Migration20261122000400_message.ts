import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000400_message extends Migration {
  override async up(): Promise<void> {
    // One row per conversation; its row lock serialises seq allocation, so seqs are gap-free.
    this.addSql(`create table "message"."conversations" (
      "session_id" varchar(64) primary key,
      "session_type" varchar(10) not null,
      "last_seq" bigint not null default 0,
      "created_at" timestamptz not null default now()
    )`);
    // Month-partitioned (seed §6.6.1); partitions are created ahead by the partition module.
    this.addSql(`create table "message"."messages" (
      "message_id" bigint not null,
      "session_id" varchar(64) not null,
      "session_type" varchar(10) not null,
      "sender_id" bigint not null,
      "target_id" bigint not null,
      "client_msg_id" varchar(64) not null,
      "seq" bigint not null,
      "content_type" varchar(20) not null,
      "content" jsonb not null,
      "search_text" text not null default '',
      "mentions" jsonb not null default '[]',
      "status" smallint not null default 1,
      "created_at" timestamptz not null,
      "recalled_at" timestamptz null,
      primary key ("message_id", "created_at")
    ) partition by range ("created_at")`);
    this.addSql('create index "messages_session_seq_idx" on "message"."messages" ("session_id", "seq")');
    this.addSql('create index "messages_id_idx" on "message"."messages" ("message_id")');
    this.addSql('create index "messages_sender_idx" on "message"."messages" ("sender_id", "created_at")');
    this.addSql('create index "messages_target_idx" on "message"."messages" ("target_id", "created_at")');
    // Idempotency of sends on (sender, clientMsgId); outside the partitioned table so it can be unique.
    this.addSql(`create table "message"."sent_messages" (
      "sender_id" bigint not null,
      "client_msg_id" varchar(64) not null,
      "message_id" bigint not null,
      "session_id" varchar(64) not null,
      "seq" bigint not null,
      "sender_sync_seq" bigint not null,
      "created_at" timestamptz not null,
      primary key ("sender_id", "client_msg_id")
    )`);
    // Per-user gap-free syncSeq and the timeline it numbers (DESIGN §6).
    this.addSql(`create table "message"."user_sequences" (
      "user_id" bigint primary key,
      "last_sync_seq" bigint not null default 0
    )`);
    this.addSql(`create table "message"."timeline" (
      "user_id" bigint not null,
      "sync_seq" bigint not null,
      "kind" varchar(16) not null,
      "message_id" bigint null,
      "event_id" varchar(200) null,
      "payload" jsonb null,
      "created_at" timestamptz not null default now(),
      primary key ("user_id", "sync_seq")
    )`);
    this.addSql(
      'create unique index "timeline_event_uq" on "message"."timeline" ("user_id", "event_id") where "event_id" is not null',
    );
    // Each participant's delivered/read position in a conversation (sent → delivered → read).
    this.addSql(`create table "message"."cursors" (
      "user_id" bigint not null,
      "session_id" varchar(64) not null,
      "delivered_seq" bigint not null default 0,
      "read_seq" bigint not null default 0,
      "cleared_seq" bigint not null default 0,
      "updated_at" timestamptz not null default now(),
      primary key ("user_id", "session_id")
    )`);
    // "Delete for me".
    this.addSql(`create table "message"."hidden_messages" (
      "user_id" bigint not null,
      "message_id" bigint not null,
      "session_id" varchar(64) not null,
      "created_at" timestamptz not null default now(),
      primary key ("user_id", "message_id")
    )`);
  }

  override async down(): Promise<void> {
    for (const table of [
      'hidden_messages',
      'cursors',
      'timeline',
      'user_sequences',
      'sent_messages',
      'messages',
      'conversations',
    ])
      this.addSql(`drop table "message"."${table}"`);
  }
}
