import { Migration } from '@mikro-orm/migrations';

/** Users' optional second factor: TOTP secret (pending until confirmed), last step used, recovery code hashes. */
export class Migration20261130000120_auth_second_factor extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth"."user_second_factors" (
      "user_id" bigint primary key,
      "secret" varchar(64) not null,
      "enabled_at" timestamptz null,
      "last_step" bigint not null default 0,
      "recovery_codes" jsonb not null default '[]',
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null
    )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table "auth"."user_second_factors"');
  }
}
