import { Migration } from '@mikro-orm/migrations';

/** `group` is a reserved word: every name of this schema is quoted. */
export class Migration20261122000600_group extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "group"."sync_versions" (
      "user_id" bigint primary key,
      "version" bigint not null default 0
    )`);
    this.addSql(`create table "group"."groups" (
      "id" bigint primary key,
      "name" varchar(100) not null,
      "avatar" varchar(255) null,
      "announcement" text null,
      "announcement_by" bigint null,
      "announcement_at" timestamptz null,
      "owner_id" bigint not null,
      "member_count" integer not null default 0,
      "all_muted" boolean not null default false,
      "join_verify" boolean not null default true,
      "member_invite" boolean not null default true,
      "history_visible" boolean not null default true,
      "member_add_friend" boolean not null default true,
      "status" smallint not null default 1,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "dismissed_at" timestamptz null
    )`);
    this.addSql('create index "groups_owner_idx" on "group"."groups" ("owner_id")');
    this.addSql(`create table "group"."group_members" (
      "id" bigint primary key,
      "group_id" bigint not null references "group"."groups" ("id"),
      "user_id" bigint not null,
      "role" varchar(10) not null default 'member',
      "group_nickname" varchar(50) null,
      "muted_until" timestamptz null,
      "status" smallint not null default 1,
      "left_reason" varchar(20) null,
      "version" bigint not null,
      "joined_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "group_members_group_user_uq" unique ("group_id", "user_id")
    )`);
    this.addSql(
      'create index "group_members_user_version_idx" on "group"."group_members" ("user_id", "version")',
    );
    this.addSql(
      'create index "group_members_active_idx" on "group"."group_members" ("group_id", "user_id") where "status" = 1',
    );
    this.addSql(`create table "group"."group_join_requests" (
      "id" bigint primary key,
      "group_id" bigint not null references "group"."groups" ("id"),
      "user_id" bigint not null,
      "message" varchar(200) null,
      "source" varchar(20) not null,
      "status" varchar(20) not null default 'pending',
      "handled_by" bigint null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "handled_at" timestamptz null
    )`);
    this.addSql(
      'create index "group_join_requests_group_idx" on "group"."group_join_requests" ("group_id", "status", "created_at" desc)',
    );
    this.addSql(
      'create index "group_join_requests_user_idx" on "group"."group_join_requests" ("user_id", "group_id") where "status" = \'pending\'',
    );
    this.addSql(`create table "group"."outbox" (
      "id" bigint primary key,
      "topic" varchar(100) not null,
      "payload" jsonb not null,
      "created_at" timestamptz not null
    )`);
    this.addSql('create index "outbox_created_idx" on "group"."outbox" ("created_at")');
  }

  override async down(): Promise<void> {
    for (const table of ['outbox', 'group_join_requests', 'group_members', 'groups', 'sync_versions'])
      this.addSql(`drop table "group"."${table}"`);
  }
}
