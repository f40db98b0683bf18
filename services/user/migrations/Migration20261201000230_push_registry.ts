import { Migration } from '@mikro-orm/migrations';

/**
 * Offline push: a registration names its provider and the device's language, and holds a Web Push
 * subscription (endpoint and keys as JSON, longer than 512 characters with some browsers'
 * endpoints); the user's push preferences (do-not-disturb hours in a time zone, preview,
 * @mentions through muted conversations) live with their other settings.
 */
export class Migration20261201000230_push_registry extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "user"."user_push_tokens"
      alter column "push_token" type varchar(2048),
      add column "provider" varchar(32) not null default '',
      add column "language" varchar(16) not null default ''`);
    this.addSql(`update "user"."user_push_tokens" set "provider" = case "platform"
      when 'iOS' then 'apns' when 'Android' then 'fcm' else 'webpush' end`);
    this.addSql(`alter table "user"."user_settings"
      add column "dnd_start" varchar(5),
      add column "dnd_end" varchar(5),
      add column "time_zone" varchar(64) not null default 'UTC',
      add column "push_preview" boolean not null default true,
      add column "push_mentions_when_muted" boolean not null default true`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "user"."user_settings" drop column "dnd_start", drop column "dnd_end",
      drop column "time_zone", drop column "push_preview", drop column "push_mentions_when_muted"`);
    this.addSql(`alter table "user"."user_push_tokens" drop column "provider", drop column "language"`);
  }
}
