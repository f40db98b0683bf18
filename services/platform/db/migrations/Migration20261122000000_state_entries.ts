import { Migration } from '@mikro-orm/migrations';

/** Key/value table behind the embedded state port (DESIGN §3). */
export class Migration20261122000000_state_entries extends Migration {
  override async up(): Promise<void> {
    this.addSql('create sequence if not exists "platform"."state_etag_seq"');
    this.addSql(`create table "platform"."state_entries" (
      "store" text not null,
      "key" text not null,
      "value" jsonb not null,
      "etag" bigint not null,
      "expires_at" timestamptz null,
      primary key ("store", "key")
    )`);
    this.addSql(
      'create index "state_entries_expires_at_idx" on "platform"."state_entries" ("expires_at") where "expires_at" is not null',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table "platform"."state_entries"');
    this.addSql('drop sequence "platform"."state_etag_seq"');
  }
}
