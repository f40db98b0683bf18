import { Migration } from '@mikro-orm/migrations';

/**
 * Message statistics read recent messages by time (admin dashboards). A BRIN index fits a table
 * appended in time order: tiny, and next to free for inserts, unlike a B-tree on the send path.
 */
export class Migration20261122000420_message_stats extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index "messages_created_brin" on "message"."messages" using brin ("created_at")');
  }

  override async down(): Promise<void> {
    this.addSql('drop index "message"."messages_created_brin"');
  }
}
