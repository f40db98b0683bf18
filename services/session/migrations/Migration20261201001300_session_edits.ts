import { Migration } from '@mikro-orm/migrations';

/**
 * The last message's edit number, so that a conversation list keeps the newest edit's preview
 * when `message.edited` events arrive out of order (pub/sub is unordered).
 */
export class Migration20261201001300_session_edits extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "session"."sessions" add column "last_edit_version" int not null default 0');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "session"."sessions" drop column "last_edit_version"');
  }
}
