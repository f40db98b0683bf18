import { Migration } from '@mikro-orm/migrations';
import { fieldKeysTableSql } from '../../platform/security/field-keys.ts';

/**
 * Outgoing webhooks: a URL that gets every new message of a group, or every message to a bot,
 * signed with the webhook's secret. The secret is needed to sign, so it is kept sealed
 * (AES-256-GCM, keys in `field_keys` when none is configured), never hashed. Deliveries remember
 * what each webhook got, so a redelivered event never posts a message twice to the same receiver.
 */
export class Migration20261201001020_outgoing_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(fieldKeysTableSql('message'));
    this.addSql(`create table "message"."outgoing_webhooks" (
      "webhook_id" bigint primary key,
      "group_id" bigint null,
      "bot_id" bigint null,
      "url" varchar(2048) not null,
      "secret" text not null,
      "created_by" bigint not null,
      "created_at" timestamptz not null default now(),
      "revoked_at" timestamptz null,
      constraint "outgoing_webhooks_one_target" check (("group_id" is null) <> ("bot_id" is null))
    )`);
    this.addSql(
      'create index "outgoing_webhooks_group_idx" on "message"."outgoing_webhooks" ("group_id") where "revoked_at" is null',
    );
    this.addSql(
      'create index "outgoing_webhooks_bot_idx" on "message"."outgoing_webhooks" ("bot_id") where "revoked_at" is null',
    );
    this.addSql(`create table "message"."outgoing_deliveries" (
      "webhook_id" bigint not null,
      "message_id" bigint not null,
      "status" varchar(16) not null,
      "attempts" integer not null default 0,
      "last_error" varchar(300) null,
      "updated_at" timestamptz not null default now(),
      primary key ("webhook_id", "message_id")
    )`);
    this.addSql(
      'create index "outgoing_deliveries_updated_idx" on "message"."outgoing_deliveries" ("updated_at")',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table "message"."outgoing_deliveries"');
    this.addSql('drop table "message"."outgoing_webhooks"');
    this.addSql('drop table "message"."field_keys"');
  }
}
