import { Migration } from '@mikro-orm/migrations';

/**
 * Data exports: one row per export a user asked for, the job's state and, once built, its archive
 * (kept in the row so that any process can serve it, until `expires_at`). A sweeper leases pending
 * rows (`lease_until`): a process that dies while building leaves the row due again. A download
 * link is a random token whose SHA-256 is kept here, valid until `download_expires_at`.
 */
export class Migration20261130001500_data_exports extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "user"."data_exports" (
      "export_id" bigint primary key,
      "user_id" bigint not null,
      "status" varchar(10) not null default 'pending',
      "attempts" int not null default 0,
      "lease_until" timestamptz null,
      "archive" bytea null,
      "size_bytes" int null,
      "download_token_hash" varchar(64) null,
      "download_expires_at" timestamptz null,
      "expires_at" timestamptz null,
      "error" varchar(200) null,
      "created_at" timestamptz not null default now(),
      "finished_at" timestamptz null
    )`);
    this.addSql(`create index "data_exports_user_index" on "user"."data_exports" ("user_id", "created_at")`);
    this.addSql(
      `create index "data_exports_due_index" on "user"."data_exports" ("created_at") where "status" = 'pending'`,
    );
    this.addSql(
      `create unique index "data_exports_token_index" on "user"."data_exports" ("download_token_hash") where "download_token_hash" is not null`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "user"."data_exports"`);
  }
}
