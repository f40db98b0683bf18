import { Migration } from '@mikro-orm/migrations';

/**
 * The SHA-256 of a file's bytes as its owner sent them (an image's stored blob may differ: its
 * metadata is removed), so that an owner uploading the same bytes again completes at once.
 */
export class Migration20261130000810_file_content_hash extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "file"."files" add column "content_sha256" char(64) null');
    this.addSql(
      `create index "files_owner_content_idx" on "file"."files" ("user_id", "content_sha256") where "content_sha256" is not null`,
    );
  }
}
