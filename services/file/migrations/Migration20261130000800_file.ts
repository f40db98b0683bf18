import { Migration } from '@mikro-orm/migrations';

/**
 * The file service's tables (seed §6.8, with its `file_uploads` record of §4.7). A blob is stored
 * bytes (one object per bucket and SHA-256: identical content is stored once); a file is one
 * user's upload naming a blob; a grant lets others read a file (the conversation it was sent in).
 */
export class Migration20261130000800_file extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "file"."blobs" (
      "blob_id" bigint primary key,
      "bucket" varchar(63) not null,
      "storage_key" varchar(500) not null,
      "sha256" char(64) not null,
      "size" bigint not null,
      "created_at" timestamptz not null default now(),
      unique ("bucket", "sha256")
    )`);
    this.addSql(`create table "file"."files" (
      "file_id" bigint primary key,
      "user_id" bigint not null,
      "file_name" varchar(255) not null,
      "file_size" bigint not null,
      "mime_type" varchar(100) not null,
      "file_type" varchar(20) not null,
      "status" varchar(10) not null,
      "blob_id" bigint null references "file"."blobs" ("blob_id"),
      "group_id" bigint null,
      "width" integer null,
      "height" integer null,
      "duration_ms" integer null,
      "thumbnail_blob_id" bigint null references "file"."blobs" ("blob_id"),
      "expires_at" timestamptz null,
      "created_at" timestamptz not null,
      "deleted_at" timestamptz null
    )`);
    this.addSql('create index "files_user_idx" on "file"."files" ("user_id", "created_at")');
    this.addSql('create index "files_blob_idx" on "file"."files" ("blob_id")');
    this.addSql('create index "files_thumbnail_idx" on "file"."files" ("thumbnail_blob_id")');
    this.addSql(
      `create index "files_expiry_idx" on "file"."files" ("expires_at") where "expires_at" is not null and "status" <> 'deleted'`,
    );
    this.addSql(`create table "file"."file_uploads" (
      "upload_id" bigint primary key,
      "file_id" bigint not null references "file"."files" ("file_id") on delete cascade,
      "user_id" bigint not null,
      "mode" varchar(10) not null,
      "bucket" varchar(63) not null,
      "storage_key" varchar(500) not null,
      "store_upload_id" varchar(1024) null,
      "chunk_size" integer not null,
      "total_chunks" integer not null,
      "created_at" timestamptz not null,
      "expires_at" timestamptz not null
    )`);
    this.addSql('create index "file_uploads_expiry_idx" on "file"."file_uploads" ("expires_at")');
    this.addSql(`create table "file"."file_grants" (
      "file_id" bigint not null references "file"."files" ("file_id") on delete cascade,
      "grantee_type" varchar(10) not null,
      "grantee_id" bigint not null,
      "created_at" timestamptz not null default now(),
      primary key ("file_id", "grantee_type", "grantee_id")
    )`);
  }
}
