import { Migration } from '@mikro-orm/migrations';

/**
 * Self-service account deletion: `deletion_due_at` is when the deletion a user asked for takes
 * effect (the sweeper finalises due ones; signing in before then clears it). It stays set on a
 * deleted account until the deletion event is published, so a failed publish is retried.
 */
export class Migration20261201001100_auth_account_deletion extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "auth"."users" add column "deletion_due_at" timestamptz null');
    this.addSql(
      'create index "users_deletion_due_idx" on "auth"."users" ("deletion_due_at") where "deletion_due_at" is not null',
    );
  }

  override async down(): Promise<void> {
    this.addSql('alter table "auth"."users" drop column "deletion_due_at"');
  }
}
