import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000300_friend extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "friend"."sync_versions" (
      "user_id" bigint primary key,
      "version" bigint not null default 0
    )`);
    this.addSql(`create table "friend"."friend_categories" (
      "id" bigint primary key,
      "user_id" bigint not null,
      "name" varchar(20) not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "friend_categories_user_name_uq" unique ("user_id", "name")
    )`);
    this.addSql(`create table "friend"."friendships" (
      "id" bigint primary key,
      "user_id" bigint not null,
      "friend_id" bigint not null,
      "remark" varchar(50) null,
      "category_id" bigint null references "friend"."friend_categories" ("id") on delete set null,
      "is_muted" boolean not null default false,
      "is_starred" boolean not null default false,
      "status" smallint not null default 1,
      "version" bigint not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "friendships_user_friend_uq" unique ("user_id", "friend_id")
    )`);
    this.addSql(
      'create index "friendships_user_version_idx" on "friend"."friendships" ("user_id", "version")',
    );
    this.addSql(
      'create index "friendships_friend_idx" on "friend"."friendships" ("friend_id") where "status" = 1',
    );
    this.addSql(
      'create index "friendships_category_idx" on "friend"."friendships" ("category_id") where "category_id" is not null',
    );
    this.addSql(`create table "friend"."friend_requests" (
      "id" bigint primary key,
      "from_user_id" bigint not null,
      "to_user_id" bigint not null,
      "message" varchar(200) null,
      "source" varchar(20) not null,
      "status" varchar(20) not null default 'pending',
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "handled_at" timestamptz null
    )`);
    this.addSql(
      'create index "friend_requests_to_idx" on "friend"."friend_requests" ("to_user_id", "created_at" desc)',
    );
    this.addSql(
      'create index "friend_requests_from_idx" on "friend"."friend_requests" ("from_user_id", "to_user_id", "created_at" desc)',
    );
    this.addSql(`create table "friend"."blacklists" (
      "id" bigint primary key,
      "user_id" bigint not null,
      "blocked_user_id" bigint not null,
      "created_at" timestamptz not null,
      constraint "blacklists_user_blocked_uq" unique ("user_id", "blocked_user_id")
    )`);
    this.addSql('create index "blacklists_blocked_idx" on "friend"."blacklists" ("blocked_user_id")');
    this.addSql(`create table "friend"."outbox" (
      "id" bigint primary key,
      "topic" varchar(100) not null,
      "payload" jsonb not null,
      "created_at" timestamptz not null
    )`);
    this.addSql('create index "outbox_created_idx" on "friend"."outbox" ("created_at")');
  }

  override async down(): Promise<void> {
    for (const table of [
      'outbox',
      'blacklists',
      'friend_requests',
      'friendships',
      'friend_categories',
      'sync_versions',
    ])
      this.addSql(`drop table "friend"."${table}"`);
  }
}
