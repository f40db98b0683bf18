import { Migration } from '@mikro-orm/migrations';

/** Administrators' second factor (TOTP secret, last step used, recovery code hashes). */
export class Migration20261130000710_admin_second_factor extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "admin"."admin_users"
      add column "totp_secret" varchar(64) null,
      add column "totp_enabled_at" timestamptz null,
      add column "totp_last_step" bigint not null default 0,
      add column "recovery_codes" jsonb not null default '[]'`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "admin"."admin_users"
      drop column "totp_secret", drop column "totp_enabled_at", drop column "totp_last_step", drop column "recovery_codes"`);
  }
}
