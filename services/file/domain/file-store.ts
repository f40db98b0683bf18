import type { SqlExecutor } from '../../platform/db/index.ts';
import type { FileKind } from './kinds.ts';

export type FileStatus = 'uploading' | 'ready' | 'deleted';

export interface FileRecord {
  fileId: string;
  userId: string;
  fileName: string;
  fileSize: number;
  mimeType: string;
  kind: FileKind;
  status: FileStatus;
  groupId: string | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  expiresAt: Date | null;
  createdAt: Date;
  /** Where the bytes are: set once the upload completed. */
  blob: { blobId: string; bucket: string; key: string } | null;
  thumbnail: { blobId: string; bucket: string; key: string } | null;
}

export interface UploadRecord {
  uploadId: string;
  fileId: string;
  userId: string;
  mode: 'multipart' | 'direct';
  bucket: string;
  key: string;
  storeUploadId: string | null;
  chunkSize: number;
  totalChunks: number;
  expiresAt: Date;
}

interface FileRow {
  file_id: string;
  user_id: string;
  file_name: string;
  file_size: string;
  mime_type: string;
  file_type: FileKind;
  status: FileStatus;
  group_id: string | null;
  width: number | null;
  height: number | null;
  duration_ms: number | null;
  expires_at: Date | string | null;
  created_at: Date | string;
  blob_id: string | null;
  bucket: string | null;
  storage_key: string | null;
  thumbnail_blob_id: string | null;
  thumbnail_bucket: string | null;
  thumbnail_key: string | null;
}

const FILE_SELECT = `select f.*, b.bucket, b.storage_key, t.bucket as thumbnail_bucket, t.storage_key as thumbnail_key
  from "file"."files" f
  left join "file"."blobs" b on b.blob_id = f.blob_id
  left join "file"."blobs" t on t.blob_id = f.thumbnail_blob_id`;

const fileOf = (row: FileRow): FileRecord => ({
  fileId: String(row.file_id),
  userId: String(row.user_id),
  fileName: row.file_name,
  fileSize: Number(row.file_size),
  mimeType: row.mime_type,
  kind: row.file_type,
  status: row.status,
  groupId: row.group_id === null ? null : String(row.group_id),
  width: row.width,
  height: row.height,
  durationMs: row.duration_ms,
  expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
  createdAt: new Date(row.created_at),
  blob:
    row.blob_id && row.bucket && row.storage_key
      ? { blobId: String(row.blob_id), bucket: row.bucket, key: row.storage_key }
      : null,
  thumbnail:
    row.thumbnail_blob_id && row.thumbnail_bucket && row.thumbnail_key
      ? { blobId: String(row.thumbnail_blob_id), bucket: row.thumbnail_bucket, key: row.thumbnail_key }
      : null,
});

export interface NewFile {
  fileId: string;
  userId: string;
  fileName: string;
  fileSize: number;
  mimeType: string;
  kind: FileKind;
  status: FileStatus;
  groupId: string | null;
  expiresAt: Date | null;
  blobId: string | null;
  media?: MediaDetails;
  /** SHA-256 of the bytes as the owner sent them (known once they all arrived). */
  contentSha256?: string | null;
}

/** What processing found out about a file's content (images, voice, video). */
export interface MediaDetails {
  width?: number | null;
  height?: number | null;
  durationMs?: number | null;
  thumbnailBlobId?: string | null;
}

/** The file service's rows: blobs (stored bytes), files (users' uploads), uploads in progress, grants. */
export class FileStore {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  transaction<T>(work: (store: FileStore) => Promise<T>): Promise<T> {
    return this.#sql.transaction((tx) => work(new FileStore(tx)));
  }

  async file(fileId: string): Promise<FileRecord | null> {
    const [row] = await this.#sql.query<FileRow>(`${FILE_SELECT} where f.file_id = ?`, [fileId]);
    return row ? fileOf(row) : null;
  }

  /**
   * A new file row counted in its owner's quota: inserted only if the bytes the owner holds with it
   * stay within `quotaBytes`, else nothing is written and the bytes held are answered. The check and
   * the insert are one step per user (a transaction-scoped advisory lock on the owner), so parallel
   * uploads cannot each see room that only one of them has.
   */
  insertWithinQuota(
    file: NewFile,
    now: Date,
    quotaBytes: number,
    options: { ifAbsent?: boolean } = {},
  ): Promise<{ inserted: true } | { inserted: false; usedBytes: number }> {
    return this.transaction(async (files) => {
      await files.#sql.query('select pg_advisory_xact_lock(hashtextextended(?, 0))', [
        `file-quota:${file.userId}`,
      ]);
      const usedBytes = await files.bytesHeldBy(file.userId);
      if (usedBytes + file.fileSize > quotaBytes) return { inserted: false, usedBytes };
      await files.insertFile(file, now, options);
      return { inserted: true };
    });
  }

  /**
   * A new file row. An id already taken is an error, except with `ifAbsent`: a file id chosen by
   * another service (a recording) may be registered twice at once, and the second does nothing.
   */
  async insertFile(file: NewFile, now: Date, options: { ifAbsent?: boolean } = {}): Promise<void> {
    await this.#sql.query(
      `insert into "file"."files"
        (file_id, user_id, file_name, file_size, mime_type, file_type, status, group_id, expires_at, blob_id,
         width, height, duration_ms, thumbnail_blob_id, content_sha256, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ${options.ifAbsent ? 'on conflict (file_id) do nothing' : ''}`,
      [
        file.fileId,
        file.userId,
        file.fileName,
        file.fileSize,
        file.mimeType,
        file.kind,
        file.status,
        file.groupId,
        file.expiresAt,
        file.blobId,
        file.media?.width ?? null,
        file.media?.height ?? null,
        file.media?.durationMs ?? null,
        file.media?.thumbnailBlobId ?? null,
        file.contentSha256 ?? null,
        now,
      ],
    );
  }

  async completeFile(
    fileId: string,
    stored: { blobId: string; mimeType: string; size: number; media: MediaDetails; contentSha256: string },
  ): Promise<void> {
    await this.#sql.query(
      `update "file"."files" set status = 'ready', blob_id = ?, mime_type = ?, file_size = ?,
         width = ?, height = ?, duration_ms = ?, thumbnail_blob_id = ?, content_sha256 = ?
       where file_id = ? and status = 'uploading'`,
      [
        stored.blobId,
        stored.mimeType,
        stored.size,
        stored.media.width ?? null,
        stored.media.height ?? null,
        stored.media.durationMs ?? null,
        stored.media.thumbnailBlobId ?? null,
        stored.contentSha256,
        fileId,
      ],
    );
  }

  async markDeleted(fileId: string, now: Date): Promise<boolean> {
    const rows = await this.#sql.query(
      `update "file"."files" set status = 'deleted', deleted_at = ? where file_id = ? and status <> 'deleted' returning file_id`,
      [now, fileId],
    );
    return rows.length > 0;
  }

  /**
   * Bytes a user holds: completed files and the declared size of uploads in progress (so that
   * parallel uploads cannot together pass the quota).
   */
  async bytesHeldBy(userId: string): Promise<number> {
    const [row] = await this.#sql.query<{ total: string | null }>(
      `select coalesce(sum(file_size), 0) as total from "file"."files" where user_id = ? and status <> 'deleted'`,
      [userId],
    );
    return Number(row?.total ?? 0);
  }

  /**
   * A usable file of this user and kind whose bytes as sent had this SHA-256: only the user's own,
   * so that an instant upload never tells anyone whether someone else holds the same bytes.
   */
  async ownByContent(userId: string, kind: FileKind, sha256: string, now: Date): Promise<FileRecord | null> {
    const [row] = await this.#sql.query<FileRow>(
      `${FILE_SELECT} where f.user_id = ? and f.file_type = ? and f.content_sha256 = ? and f.status = 'ready'
         and (f.expires_at is null or f.expires_at > ?) order by f.created_at desc limit 1`,
      [userId, kind, sha256, now],
    );
    return row ? fileOf(row) : null;
  }

  /** The blob of these bytes in this bucket, if stored before (by anyone: dedup is of storage only). */
  async blobByHash(bucket: string, sha256: string): Promise<{ blobId: string; key: string } | null> {
    const [row] = await this.#sql.query<{ blob_id: string; storage_key: string }>(
      `select blob_id, storage_key from "file"."blobs" where bucket = ? and sha256 = ?`,
      [bucket, sha256],
    );
    return row ? { blobId: String(row.blob_id), key: row.storage_key } : null;
  }

  /** Records stored bytes; when the same bytes were recorded meanwhile, answers that blob instead. */
  async insertBlob(blob: {
    blobId: string;
    bucket: string;
    key: string;
    sha256: string;
    size: number;
  }): Promise<{ blobId: string; key: string }> {
    const inserted = await this.#sql.query<{ blob_id: string }>(
      `insert into "file"."blobs" (blob_id, bucket, storage_key, sha256, size) values (?, ?, ?, ?, ?)
       on conflict (bucket, sha256) do nothing returning blob_id`,
      [blob.blobId, blob.bucket, blob.key, blob.sha256, blob.size],
    );
    if (inserted.length > 0) return { blobId: blob.blobId, key: blob.key };
    const existing = await this.blobByHash(blob.bucket, blob.sha256);
    if (!existing) throw new Error(`blob ${blob.bucket}/${blob.sha256} vanished while recorded`);
    return existing;
  }

  async insertUpload(upload: UploadRecord, now: Date): Promise<void> {
    await this.#sql.query(
      `insert into "file"."file_uploads"
        (upload_id, file_id, user_id, mode, bucket, storage_key, store_upload_id, chunk_size, total_chunks, created_at, expires_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        upload.uploadId,
        upload.fileId,
        upload.userId,
        upload.mode,
        upload.bucket,
        upload.key,
        upload.storeUploadId,
        upload.chunkSize,
        upload.totalChunks,
        now,
        upload.expiresAt,
      ],
    );
  }

  async upload(uploadId: string): Promise<UploadRecord | null> {
    const [row] = await this.#sql.query<{
      upload_id: string;
      file_id: string;
      user_id: string;
      mode: 'multipart' | 'direct';
      bucket: string;
      storage_key: string;
      store_upload_id: string | null;
      chunk_size: number;
      total_chunks: number;
      expires_at: Date | string;
    }>(`select * from "file"."file_uploads" where upload_id = ?`, [uploadId]);
    if (!row) return null;
    return {
      uploadId: String(row.upload_id),
      fileId: String(row.file_id),
      userId: String(row.user_id),
      mode: row.mode,
      bucket: row.bucket,
      key: row.storage_key,
      storeUploadId: row.store_upload_id,
      chunkSize: row.chunk_size,
      totalChunks: row.total_chunks,
      expiresAt: new Date(row.expires_at),
    };
  }

  /** Removes the upload record; false when another request removed it first (a completion race). */
  async deleteUpload(uploadId: string): Promise<boolean> {
    const rows = await this.#sql.query(
      `delete from "file"."file_uploads" where upload_id = ? returning upload_id`,
      [uploadId],
    );
    return rows.length > 0;
  }

  /** Lets a user, or a group's members, read a file (a message shared it there). */
  async grant(fileId: string, grantee: Grantee): Promise<void> {
    await this.#sql.query(
      `insert into "file"."file_grants" (file_id, grantee_type, grantee_id) values (?, ?, ?) on conflict do nothing`,
      [fileId, grantee.type, grantee.id],
    );
  }

  async grantees(fileId: string): Promise<Grantee[]> {
    const rows = await this.#sql.query<{ grantee_type: Grantee['type']; grantee_id: string }>(
      `select grantee_type, grantee_id from "file"."file_grants" where file_id = ?`,
      [fileId],
    );
    return rows.map((row) => ({ type: row.grantee_type, id: String(row.grantee_id) }));
  }
}

/**
 * Who a grant lets read a file: one user, or the members of a group or of a meeting (whoever they
 * are at the time).
 */
export interface Grantee {
  type: 'user' | 'group' | 'meeting';
  id: string;
}
