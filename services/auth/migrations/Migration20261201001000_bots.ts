import { Migration } from '@mikro-orm/migrations';

/**
 * Bot accounts: a user account (auth.users, with no usable password) that a user owns, and the
 * tokens its owner issues for it. Only a token's SHA-256 is kept; deleted bots and revoked tokens
 * stay as rows (who made what, when) and are never found again.
 */
export class Migration20261201001000_bots extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth"."bots" (
      "bot_id" bigint primary key,
      "owner_id" bigint not null,
      "name" varchar(32) not null,
      "avatar" varchar(255) null,
      "accepts_friend_requests" boolean not null default false,
      "created_at" timestamptz not null default now(),
      "deleted_at" timestamptz null
    )`);
    this.addSql('create index "bots_owner_idx" on "auth"."bots" ("owner_id") where "deleted_at" is null');
    this.addSql(`create table "auth"."bot_tokens" (
      "token_id" bigint primary key,
      "bot_id" bigint not null references "auth"."bots" ("bot_id"),
      "name" varchar(64) not null,
      "token_sha256" bytea not null,
      "scopes" text[] not null,
      "expires_at" timestamptz not null,
      "created_at" timestamptz not null default now(),
      "revoked_at" timestamptz null
    )`);
    this.addSql('create index "bot_tokens_bot_idx" on "auth"."bot_tokens" ("bot_id")');
  }

  override async down(): Promise<void> {
    this.addSql('drop table "auth"."bot_tokens"');
    this.addSql('drop table "auth"."bots"');
  }
}
