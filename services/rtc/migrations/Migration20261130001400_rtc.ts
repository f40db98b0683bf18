import { Migration } from '@mikro-orm/migrations';

/**
 * The rtc service's tables (seed §6.10): call_sessions (one row per call, its state and timing),
 * call_logs (one row per call and user: the user's part in it, their call log and who is in the
 * LiveKit room), call_lines (the call each user is in: one at most, so that a second invitation
 * finds the line busy atomically) and the outbox of its notifications.
 */
export class Migration20261130001400_rtc extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "rtc"."call_sessions" (
      "call_id" bigint primary key,
      "call_type" varchar(20) not null,
      "caller_id" bigint not null,
      "callee_id" bigint,
      "group_id" bigint,
      "room_name" varchar(100) not null,
      "status" varchar(20) not null,
      "ring_deadline" timestamptz not null,
      "start_time" timestamptz,
      "end_time" timestamptz,
      "duration" int,
      "duration_ms" bigint,
      "end_reason" varchar(20),
      "record_message_id" bigint,
      "room_closed" boolean not null default false,
      "created_at" timestamptz not null default now()
    )`);
    this.addSql('create index "call_sessions_caller_idx" on "rtc"."call_sessions" ("caller_id")');
    this.addSql('create index "call_sessions_callee_idx" on "rtc"."call_sessions" ("callee_id")');
    this.addSql('create index "call_sessions_group_idx" on "rtc"."call_sessions" ("group_id")');
    this.addSql('create index "call_sessions_created_idx" on "rtc"."call_sessions" ("created_at")');
    // What the sweep looks for: unanswered calls past their deadline, finished calls whose record
    // message or room removal is still to do.
    this.addSql(
      `create index "call_sessions_ringing_idx" on "rtc"."call_sessions" ("ring_deadline") where "status" = 'ringing'`,
    );
    this.addSql(
      `create index "call_sessions_unsettled_idx" on "rtc"."call_sessions" ("end_time")
       where "end_time" is not null and ("record_message_id" is null or not "room_closed")`,
    );
    this.addSql(`create table "rtc"."call_logs" (
      "call_id" bigint not null,
      "user_id" bigint not null,
      "role" varchar(10) not null,
      "state" varchar(20) not null,
      "device_id" varchar(128),
      "answered_at" timestamptz,
      "in_room" boolean not null default false,
      "presence_at" timestamptz,
      "joined_at" timestamptz,
      "left_at" timestamptz,
      "created_at" timestamptz not null default now(),
      primary key ("call_id", "user_id")
    )`);
    this.addSql('create index "call_logs_user_idx" on "rtc"."call_logs" ("user_id", "call_id" desc)');
    this.addSql(`create table "rtc"."call_lines" (
      "user_id" bigint primary key,
      "call_id" bigint not null
    )`);
    this.addSql('create index "call_lines_call_idx" on "rtc"."call_lines" ("call_id")');
    this.addSql(`create table "rtc"."outbox" (
      "id" bigint primary key,
      "topic" varchar(100) not null,
      "payload" jsonb not null,
      "created_at" timestamptz not null
    )`);
    this.addSql('create index "outbox_created_idx" on "rtc"."outbox" ("created_at")');
  }

  override async down(): Promise<void> {
    for (const table of ['outbox', 'call_lines', 'call_logs', 'call_sessions'])
      this.addSql(`drop table if exists "rtc"."${table}"`);
  }
}
