import { Migration } from '@mikro-orm/migrations';

/**
 * Self-destructing messages, scheduled messages and drafts. Each table is swept or read by the
 * message service alone; none joins the partitioned messages table by range.
 */
export class Migration20261130001100_timers_drafts extends Migration {
  override async up(): Promise<void> {
    // A self-destruct timer, keyed like the send it belongs to: written before the message is
    // stored, so a crash between the two never leaves a message that should vanish forever (the
    // message is found through sent_messages; a timer whose send never happened is removed).
    this.addSql(`create table "message"."message_timers" (
      "sender_id" bigint not null,
      "client_msg_id" varchar(64) not null,
      "ttl_seconds" int not null,
      "starts_on" varchar(8) not null,
      "expires_at" timestamptz null,
      "destroyed_at" timestamptz null,
      "created_at" timestamptz not null default now(),
      primary key ("sender_id", "client_msg_id")
    )`);
    this.addSql(
      'create index "message_timers_due_idx" on "message"."message_timers" ("expires_at") where "destroyed_at" is null',
    );
    // Scheduled sends: swept from here (due rows claimed with skip locked), sent with the
    // clientMsgId `sched.<id>` so a claim retried after a crash cannot send twice.
    this.addSql(`create table "message"."scheduled_messages" (
      "schedule_id" bigint primary key,
      "sender_id" bigint not null,
      "client_msg_id" varchar(64) not null,
      "session_type" varchar(10) not null,
      "target_id" bigint not null,
      "content_type" varchar(20) not null,
      "content" jsonb not null,
      "mentions" jsonb not null default '[]',
      "mention_all" boolean not null default false,
      "send_at" timestamptz not null,
      "status" varchar(12) not null default 'pending',
      "attempts" int not null default 0,
      "claimed_at" timestamptz null,
      "message_id" bigint null,
      "error_code" int null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      unique ("sender_id", "client_msg_id")
    )`);
    this.addSql(
      `create index "scheduled_messages_due_idx" on "message"."scheduled_messages" ("send_at") where "status" in ('pending', 'sending')`,
    );
    this.addSql(
      'create index "scheduled_messages_sender_idx" on "message"."scheduled_messages" ("sender_id", "send_at")',
    );
    this.addSql(`create table "message"."drafts" (
      "user_id" bigint not null,
      "session_id" varchar(64) not null,
      "text" text not null,
      "quote_message_id" bigint null,
      "updated_at" timestamptz not null default now(),
      primary key ("user_id", "session_id")
    )`);
  }

  override async down(): Promise<void> {
    for (const table of ['drafts', 'scheduled_messages', 'message_timers'])
      this.addSql(`drop table "message"."${table}"`);
  }
}
