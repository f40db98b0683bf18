import { Migration } from '@mikro-orm/migrations';

/**
 * The push service's tables (seed §6.9): its copy of the push registry and of the users'
 * push preferences (both fed by the user service's events), read positions (from the message
 * service's events), the per-(event, device) claim that makes a push at most once, the collapse
 * counters, push_logs (one row per attempt), push_failures (pushes that gave up), and the VAPID
 * key pair the embedded shape generates when none is configured.
 */
export class Migration20261130000800_push extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "push"."push_registrations" (
      "user_id" bigint not null,
      "device_id" varchar(100) not null,
      "provider" varchar(32) not null,
      "platform" varchar(20) not null,
      "push_token" varchar(2048) not null,
      "language" varchar(16) not null,
      "removed" boolean not null default false,
      "version" bigint not null,
      primary key ("user_id", "device_id")
    )`);
    this.addSql(`create table "push"."push_preferences" (
      "user_id" bigint primary key,
      "notification_enabled" boolean not null,
      "language" varchar(16) not null,
      "dnd_start" varchar(5),
      "dnd_end" varchar(5),
      "time_zone" varchar(64) not null,
      "push_preview" boolean not null,
      "push_mentions_when_muted" boolean not null
    )`);
    this.addSql(`create table "push"."push_read_marks" (
      "user_id" bigint not null,
      "session_id" varchar(64) not null,
      "read_seq" bigint not null,
      primary key ("user_id", "session_id")
    )`);
    this.addSql(`create table "push"."push_collapse" (
      "user_id" bigint not null,
      "session_id" varchar(64) not null,
      "pending" int not null,
      "last_seq" bigint not null,
      primary key ("user_id", "session_id")
    )`);
    this.addSql(`create table "push"."push_deliveries" (
      "event_id" varchar(200) not null,
      "device_id" varchar(100) not null,
      "user_id" bigint not null,
      "created_at" timestamptz not null default now(),
      primary key ("event_id", "device_id")
    )`);
    this.addSql('create index "push_deliveries_created_at_idx" on "push"."push_deliveries" ("created_at")');
    this.addSql(`create table "push"."push_logs" (
      "id" bigint primary key,
      "user_id" bigint not null,
      "device_id" varchar(100),
      "provider" varchar(32) not null,
      "push_type" varchar(50) not null,
      "title" varchar(200),
      "content" varchar(500),
      "attempt" smallint not null,
      "status" varchar(20) not null,
      "error_message" text,
      "created_at" timestamptz not null default now()
    )`);
    this.addSql('create index "push_logs_user_id_idx" on "push"."push_logs" ("user_id")');
    this.addSql('create index "push_logs_status_idx" on "push"."push_logs" ("status")');
    this.addSql('create index "push_logs_created_at_idx" on "push"."push_logs" ("created_at")');
    this.addSql(`create table "push"."push_failures" (
      "id" bigint primary key,
      "event_id" varchar(200) not null,
      "user_id" bigint not null,
      "device_id" varchar(100) not null,
      "provider" varchar(32) not null,
      "push_type" varchar(50) not null,
      "reason" varchar(32) not null,
      "error_message" text,
      "attempts" smallint not null,
      "created_at" timestamptz not null default now()
    )`);
    this.addSql('create index "push_failures_user_id_idx" on "push"."push_failures" ("user_id")');
    this.addSql(`create table "push"."push_keys" (
      "name" varchar(32) primary key,
      "public_key" text not null,
      "private_key" text not null,
      "created_at" timestamptz not null default now()
    )`);
  }

  override async down(): Promise<void> {
    for (const table of [
      'push_keys',
      'push_failures',
      'push_logs',
      'push_deliveries',
      'push_collapse',
      'push_read_marks',
      'push_preferences',
      'push_registrations',
    ])
      this.addSql(`drop table if exists "push"."${table}"`);
  }
}
