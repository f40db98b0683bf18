import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000500_session extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "session"."sessions" (
      "owner_id" bigint not null,
      "session_id" varchar(48) not null,
      "session_type" varchar(10) not null,
      "target_id" bigint not null,
      "last_message_id" bigint null,
      "last_sender_id" bigint null,
      "last_content_type" varchar(32) null,
      "last_preview" varchar(200) null,
      "last_seq" bigint not null default 0,
      "last_message_at" timestamptz null,
      "last_recalled" boolean not null default false,
      "read_seq" bigint not null default 0,
      "cleared_seq" bigint not null default 0,
      "hidden_until_seq" bigint null,
      "deleted_at" timestamptz null,
      "is_pinned" boolean not null default false,
      "is_muted" boolean not null default false,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      primary key ("owner_id", "session_id")
    )`);
    this.addSql(
      'create index "sessions_owner_updated_idx" on "session"."sessions" ("owner_id", "updated_at")',
    );
    this.addSql('create index "sessions_session_idx" on "session"."sessions" ("session_id")');
    this.addSql(`create table "session"."session_unread" (
      "owner_id" bigint not null,
      "session_id" varchar(48) not null,
      "seq" bigint not null,
      "message_id" bigint not null,
      "mentioned" boolean not null,
      primary key ("owner_id", "session_id", "seq")
    )`);
    // Recalls remove a message's unread entries for every member at once.
    this.addSql(
      'create index "session_unread_message_idx" on "session"."session_unread" ("session_id", "seq")',
    );
    this.addSql(`create table "session"."recalled_messages" (
      "session_id" varchar(48) not null,
      "seq" bigint not null,
      "message_id" bigint not null,
      "recalled_at" timestamptz not null,
      primary key ("session_id", "seq")
    )`);
  }

  override async down(): Promise<void> {
    for (const table of ['recalled_messages', 'session_unread', 'sessions'])
      this.addSql(`drop table "session"."${table}"`);
  }
}
