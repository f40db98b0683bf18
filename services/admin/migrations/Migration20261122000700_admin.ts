import { Migration } from '@mikro-orm/migrations';
import { BUILT_IN_ROLES, PERMISSIONS } from '../permissions.ts';

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

export class Migration20261122000700_admin extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "admin"."admin_permissions" (
      "code" varchar(50) primary key,
      "description" varchar(200) not null
    )`);
    this.addSql(`create table "admin"."admin_roles" (
      "role_id" bigint primary key,
      "name" varchar(50) not null unique,
      "description" varchar(200) not null,
      "created_at" timestamptz not null default now()
    )`);
    this.addSql(`create table "admin"."admin_role_permissions" (
      "role_id" bigint not null references "admin"."admin_roles" ("role_id") on delete cascade,
      "permission" varchar(50) not null references "admin"."admin_permissions" ("code"),
      primary key ("role_id", "permission")
    )`);
    this.addSql(`create table "admin"."admin_users" (
      "admin_id" bigint primary key,
      "username" varchar(50) not null unique,
      "password_hash" varchar(255) not null,
      "email" varchar(100) null,
      "role_id" bigint not null references "admin"."admin_roles" ("role_id"),
      "status" smallint not null default 1,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "last_login_at" timestamptz null
    )`);
    this.addSql('create index "admin_users_role_idx" on "admin"."admin_users" ("role_id")');
    // Admin tokens are opaque; only their SHA-256 is stored, so a database dump signs nobody in.
    this.addSql(`create table "admin"."admin_sessions" (
      "token_hash" char(64) primary key,
      "admin_id" bigint not null references "admin"."admin_users" ("admin_id") on delete cascade,
      "created_at" timestamptz not null,
      "expires_at" timestamptz not null,
      "ip" varchar(50) null,
      "revoked_at" timestamptz null
    )`);
    this.addSql('create index "admin_sessions_admin_idx" on "admin"."admin_sessions" ("admin_id")');
    this.addSql(`create table "admin"."audit_logs" (
      "id" bigint primary key,
      "actor_type" varchar(10) not null,
      "admin_id" bigint null,
      "user_id" bigint null,
      "actor_name" varchar(64) null,
      "action" varchar(100) not null,
      "resource_type" varchar(50) null,
      "resource_id" varchar(100) null,
      "details" jsonb not null default '{}',
      "ip_address" varchar(50) null,
      "created_at" timestamptz not null
    )`);
    for (const column of ['admin_id', 'user_id', 'action', 'created_at']) {
      this.addSql(`create index "audit_logs_${column}_idx" on "admin"."audit_logs" ("${column}")`);
    }
    this.addSql(`create table "admin"."user_bans" (
      "user_id" bigint primary key,
      "reason" varchar(200) not null,
      "until" timestamptz null,
      "banned_by" bigint not null,
      "banned_at" timestamptz not null
    )`);
    this.addSql(
      'create index "user_bans_until_idx" on "admin"."user_bans" ("until") where "until" is not null',
    );
    this.addSql(`create table "admin"."broadcasts" (
      "broadcast_id" bigint primary key,
      "kind" varchar(20) not null,
      "text" varchar(2000) not null,
      "status" varchar(10) not null,
      "recipients" integer not null default 0,
      "cursor_user_id" bigint not null default 0,
      "created_by" bigint not null,
      "created_at" timestamptz not null,
      "finished_at" timestamptz null
    )`);
    this.addSql(`create table "admin"."system_configs" (
      "config_key" varchar(100) primary key,
      "value" jsonb not null,
      "updated_by" bigint not null,
      "updated_at" timestamptz not null
    )`);
    this.addSql(`create table "admin"."outbox" (
      "id" bigint primary key,
      "topic" varchar(100) not null,
      "payload" jsonb not null,
      "created_at" timestamptz not null
    )`);
    this.addSql('create index "outbox_created_idx" on "admin"."outbox" ("created_at")');

    for (const [code, description] of Object.entries(PERMISSIONS)) {
      this.addSql(
        `insert into "admin"."admin_permissions" ("code", "description") values (${quote(code)}, ${quote(description)})`,
      );
    }
    for (const role of BUILT_IN_ROLES) {
      this.addSql(
        `insert into "admin"."admin_roles" ("role_id", "name", "description") values (${role.roleId}, ${quote(role.name)}, ${quote(role.description)})`,
      );
      for (const permission of role.permissions) {
        this.addSql(
          `insert into "admin"."admin_role_permissions" ("role_id", "permission") values (${role.roleId}, ${quote(permission)})`,
        );
      }
    }
  }

  override async down(): Promise<void> {
    for (const table of [
      'outbox',
      'system_configs',
      'broadcasts',
      'user_bans',
      'audit_logs',
      'admin_sessions',
      'admin_users',
      'admin_role_permissions',
      'admin_roles',
      'admin_permissions',
    ]) {
      this.addSql(`drop table if exists "admin"."${table}"`);
    }
  }
}
