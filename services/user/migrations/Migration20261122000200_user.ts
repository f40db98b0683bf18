import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000200_user extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "user"."user_profiles" (
      "user_id" bigint primary key,
      "account" varchar(32) not null unique,
      "phone_number" varchar(20) null,
      "email" varchar(100) null,
      "nickname" varchar(32) not null,
      "avatar" varchar(255) null,
      "signature" varchar(200) null,
      "gender" smallint not null default 0,
      "birthday" varchar(10) null,
      "region" varchar(100) null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null
    )`);
    this.addSql('create index "user_profiles_phone_idx" on "user"."user_profiles" ("phone_number")');
    this.addSql('create index "user_profiles_email_idx" on "user"."user_profiles" ("email")');
    this.addSql(
      'create index "user_profiles_nickname_idx" on "user"."user_profiles" (lower("nickname") text_pattern_ops)',
    );
    this.addSql(`create table "user"."user_settings" (
      "user_id" bigint primary key,
      "friend_verify" boolean not null default true,
      "notification_enabled" boolean not null default true,
      "language" varchar(10) not null default 'zh-CN',
      "updated_at" timestamptz not null
    )`);
    this.addSql(`create table "user"."user_push_tokens" (
      "id" bigint primary key,
      "user_id" bigint not null,
      "device_id" varchar(100) not null,
      "push_token" varchar(512) not null,
      "platform" varchar(20) not null,
      "updated_at" timestamptz not null,
      constraint "user_push_tokens_user_device_uq" unique ("user_id", "device_id")
    )`);
  }

  override async down(): Promise<void> {
    for (const table of ['user_push_tokens', 'user_settings', 'user_profiles'])
      this.addSql(`drop table "user"."${table}"`);
  }
}
