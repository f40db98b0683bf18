import { Migration } from '@mikro-orm/migrations';

/** Indexes the administration queries need: accounts newest first, and each account's sessions. */
export class Migration20261122000110_auth_admin extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index "users_created_idx" on "auth"."users" ("created_at", "user_id")');
    this.addSql('create index "user_sessions_user_idx" on "auth"."user_sessions" ("user_id")');
  }

  override async down(): Promise<void> {
    this.addSql('drop index "auth"."user_sessions_user_idx"');
    this.addSql('drop index "auth"."users_created_idx"');
  }
}
