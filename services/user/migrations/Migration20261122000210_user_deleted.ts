import { Migration } from '@mikro-orm/migrations';

/**
 * Deleted accounts: `deleted_at` marks a profile whose account was deleted (the row stays, as a
 * placeholder, so that friends' lists and old messages still name someone), and the outbox carries
 * the profile change that announces it in the same transaction as the anonymization.
 */
export class Migration20261122000210_user_deleted extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "user"."user_profiles" add column "deleted_at" timestamptz null');
    this.addSql(`create table "user"."outbox" (
      "id" bigint primary key,
      "topic" varchar(100) not null,
      "payload" jsonb not null,
      "created_at" timestamptz not null
    )`);
    this.addSql('create index "outbox_created_idx" on "user"."outbox" ("created_at")');
  }

  override async down(): Promise<void> {
    this.addSql('drop table "user"."outbox"');
    this.addSql('alter table "user"."user_profiles" drop column "deleted_at"');
  }
}
