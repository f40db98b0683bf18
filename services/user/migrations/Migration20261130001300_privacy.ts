import { Migration } from '@mikro-orm/migrations';

/**
 * Privacy settings (a JSON object of the settings a user changed; the rest are defaults) and the
 * contact-discovery hash of each phone number (contactHashOf: SHA-256 of a versioned prefix and
 * the number's digits), filled for the numbers already stored.
 */
export class Migration20261130001300_privacy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "user"."user_settings" add column "privacy" jsonb not null default '{}'`);
    this.addSql(`alter table "user"."user_profiles" add column "phone_hash" varchar(64) null`);
    this.addSql(
      `update "user"."user_profiles" set "phone_hash" = encode(sha256(convert_to('anychat-contacts-v1:' || regexp_replace("phone_number", '\\D', '', 'g'), 'UTF8')), 'hex') where "phone_number" is not null`,
    );
    this.addSql(
      `create index "user_profiles_phone_hash_index" on "user"."user_profiles" ("phone_hash") where "phone_hash" is not null`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "user"."user_profiles_phone_hash_index"`);
    this.addSql(`alter table "user"."user_profiles" drop column "phone_hash"`);
    this.addSql(`alter table "user"."user_settings" drop column "privacy"`);
  }
}
