import { Migration } from '@mikro-orm/migrations';

/**
 * Pushes not yet settled, kept in the database so that a restart loses none: a row is written
 * in the same statement as the push's claim, leased while an attempt is under way, due again
 * after a transient failure, and deleted once the push succeeded or gave up.
 */
export class Migration20261130000810_push_pending extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "push"."push_pending" (
      "event_id" varchar(200) not null,
      "device_id" varchar(100) not null,
      "user_id" bigint not null,
      "job" jsonb not null,
      "attempts" smallint not null default 0,
      "due_at" timestamptz not null,
      "lease_until" timestamptz,
      primary key ("event_id", "device_id")
    )`);
    this.addSql('create index "push_pending_due_at_idx" on "push"."push_pending" ("due_at")');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "push"."push_pending"');
  }
}
