import { Migration } from '@mikro-orm/migrations';

/**
 * Incoming webhooks of groups: a secret URL that posts into one group's conversation. Only the
 * SHA-256 of the secret is kept (the URL is shown once, when the webhook is made).
 */
export class Migration20261130001210_group_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "message"."group_webhooks" (
      "webhook_id" bigint primary key,
      "group_id" bigint not null,
      "name" varchar(64) not null,
      "secret_sha256" bytea not null,
      "created_by" bigint not null,
      "created_at" timestamptz not null default now(),
      "last_used_at" timestamptz null,
      "revoked_at" timestamptz null
    )`);
    this.addSql('create index "group_webhooks_group_idx" on "message"."group_webhooks" ("group_id")');
  }

  override async down(): Promise<void> {
    this.addSql('drop table "message"."group_webhooks"');
  }
}
