import { Migration } from '@mikro-orm/migrations';

/** Invitations of users who may not be added to a group directly: one per group and invitee. */
export class Migration20261201000610_group_invitations extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "group"."group_invitations" (
      "id" bigint primary key,
      "group_id" bigint not null references "group"."groups" ("id"),
      "invitee_id" bigint not null,
      "inviter_id" bigint not null,
      "created_at" timestamptz not null,
      "expires_at" timestamptz not null,
      constraint "group_invitations_group_invitee_uq" unique ("group_id", "invitee_id")
    )`);
    this.addSql(
      'create index "group_invitations_invitee_idx" on "group"."group_invitations" ("invitee_id", "expires_at")',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table "group"."group_invitations"');
  }
}
