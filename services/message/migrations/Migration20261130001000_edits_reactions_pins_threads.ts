import { Migration } from '@mikro-orm/migrations';

/**
 * Edits, reactions, pinned messages and threads. Only `edited_at` goes on the partitioned
 * messages table (the content is edited in place, so history, search and sync replay show the
 * current text); everything else is keyed by message id in tables of its own.
 */
export class Migration20261130001000_edits_reactions_pins_threads extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "message"."messages" add column "edited_at" timestamptz null');
    // Each edit keeps the content it replaced: version n is what the message said before edit n.
    this.addSql(`create table "message"."message_edits" (
      "message_id" bigint not null,
      "version" int not null,
      "content_type" varchar(20) not null,
      "content" jsonb not null,
      "edited_at" timestamptz not null default now(),
      primary key ("message_id", "version")
    )`);
    this.addSql(`create table "message"."reactions" (
      "message_id" bigint not null,
      "user_id" bigint not null,
      "emoji" varchar(64) not null,
      "session_id" varchar(64) not null,
      "created_at" timestamptz not null default now(),
      primary key ("message_id", "user_id", "emoji")
    )`);
    this.addSql(`create table "message"."pins" (
      "session_id" varchar(64) not null,
      "message_id" bigint not null,
      "pinned_by" bigint not null,
      "pinned_at" timestamptz not null default now(),
      primary key ("session_id", "message_id")
    )`);
    // A thread is its root message; its replies are messages of the same conversation, linked here.
    this.addSql(`create table "message"."thread_replies" (
      "message_id" bigint primary key,
      "root_message_id" bigint not null,
      "session_id" varchar(64) not null,
      "sender_id" bigint not null,
      "seq" bigint not null,
      "created_at" timestamptz not null default now()
    )`);
    this.addSql(
      'create index "thread_replies_root_idx" on "message"."thread_replies" ("root_message_id", "seq")',
    );
    // How far each user read each thread (the reply seq), for the thread's own unread count.
    this.addSql(`create table "message"."thread_reads" (
      "user_id" bigint not null,
      "root_message_id" bigint not null,
      "read_seq" bigint not null default 0,
      primary key ("user_id", "root_message_id")
    )`);
  }

  override async down(): Promise<void> {
    for (const table of ['thread_reads', 'thread_replies', 'pins', 'reactions', 'message_edits'])
      this.addSql(`drop table "message"."${table}"`);
    this.addSql('alter table "message"."messages" drop column "edited_at"');
  }
}
