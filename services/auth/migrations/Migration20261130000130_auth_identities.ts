import { Migration } from '@mikro-orm/migrations';

/** Accounts linked to OpenID Providers: one identity (issuer's subject) per provider and account. */
export class Migration20261130000130_auth_identities extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth"."user_identities" (
      "id" bigint primary key,
      "user_id" bigint not null,
      "provider" varchar(32) not null,
      "subject" varchar(255) not null,
      "email" varchar(254) null,
      "created_at" timestamptz not null,
      constraint "user_identities_subject_unique" unique ("provider", "subject"),
      constraint "user_identities_user_unique" unique ("user_id", "provider")
    )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table "auth"."user_identities"');
  }
}
