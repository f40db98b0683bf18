import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000100_auth extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth"."users" (
      "user_id" bigint primary key,
      "account" varchar(32) not null unique,
      "phone_number" varchar(20) null unique,
      "email" varchar(100) null unique,
      "password_hash" varchar(255) not null,
      "status" smallint not null default 1,
      "password_changed_at" timestamptz not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null
    )`);
    this.addSql(`create table "auth"."user_devices" (
      "id" bigint primary key,
      "user_id" bigint not null,
      "device_id" varchar(100) not null,
      "device_type" varchar(20) not null,
      "device_name" varchar(100) null,
      "client_version" varchar(50) null,
      "last_login_time" timestamptz not null,
      "last_login_ip" varchar(50) null,
      "created_at" timestamptz not null,
      constraint "user_devices_user_device_uq" unique ("user_id", "device_id")
    )`);
    this.addSql(`create table "auth"."user_sessions" (
      "id" bigint primary key,
      "user_id" bigint not null,
      "device_id" varchar(100) not null,
      "device_type" varchar(20) not null,
      "created_at" timestamptz not null,
      "last_refreshed_at" timestamptz null,
      "revoked_at" timestamptz null,
      "revoke_reason" varchar(32) null
    )`);
    this.addSql(
      'create index "user_sessions_active_idx" on "auth"."user_sessions" ("user_id") where "revoked_at" is null',
    );
    this.addSql(`create table "auth"."refresh_tokens" (
      "token_hash" varchar(64) primary key,
      "session_id" bigint not null,
      "status" varchar(16) not null,
      "expires_at" timestamptz not null,
      "created_at" timestamptz not null
    )`);
    this.addSql('create index "refresh_tokens_session_idx" on "auth"."refresh_tokens" ("session_id")');
    this.addSql(`create table "auth"."signing_keys" (
      "kid" varchar(64) primary key,
      "private_jwk" jsonb not null,
      "public_jwk" jsonb not null,
      "created_at" timestamptz not null
    )`);
  }

  override async down(): Promise<void> {
    for (const table of ['signing_keys', 'refresh_tokens', 'user_sessions', 'user_devices', 'users']) {
      this.addSql(`drop table "auth"."${table}"`);
    }
  }
}
