import type { SqlExecutor } from '../../platform/db/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { ObjectStore } from '../storage/port.ts';

/** Rows handled per statement, so that one sweep never holds a long transaction. */
const BATCH = 500;

/**
 * What the file service cleans, every FILE_SWEEP_SECONDS on each replica (every step is idempotent
 * and safe to run concurrently): temporary files past their expiry are deleted; uploads not
 * completed in FILE_UPLOAD_TTL_SECONDS are aborted (their parts or object removed) and their files
 * deleted; then every blob no file refers to any more is removed from the store.
 */
export class Lifecycle {
  readonly #sql: SqlExecutor;
  readonly #objects: ObjectStore;
  readonly #logger: Logger;
  /** Blobs younger than this are never swept: an upload may have just found one by its hash. */
  readonly #blobGraceSeconds: number;

  constructor(sql: SqlExecutor, objects: ObjectStore, logger: Logger, blobGraceSeconds: number) {
    this.#sql = sql;
    this.#objects = objects;
    this.#logger = logger;
    this.#blobGraceSeconds = blobGraceSeconds;
  }

  async sweep(now = new Date()): Promise<{ expired: number; abandoned: number; blobsRemoved: number }> {
    const expired = await this.#sql.query(
      `update "file"."files" set status = 'deleted', deleted_at = ?
       where file_id in (select file_id from "file"."files"
         where expires_at <= ? and status <> 'deleted' limit ${BATCH})
       returning file_id`,
      [now, now],
    );
    const abandoned = await this.#abandonUploads(now);
    const blobsRemoved = await this.#removeUnreferencedBlobs();
    if (expired.length + abandoned + blobsRemoved > 0)
      this.#logger.info({ expired: expired.length, abandoned, blobsRemoved }, 'file sweep');
    return { expired: expired.length, abandoned, blobsRemoved };
  }

  async #abandonUploads(now: Date): Promise<number> {
    const uploads = await this.#sql.query<{
      upload_id: string;
      file_id: string;
      bucket: string;
      storage_key: string;
      store_upload_id: string | null;
    }>(
      `delete from "file"."file_uploads" where upload_id in (select upload_id from "file"."file_uploads"
         where expires_at <= ? limit ${BATCH})
       returning upload_id, file_id, bucket, storage_key, store_upload_id`,
      [now],
    );
    for (const upload of uploads) {
      // The row is gone first: a client completing now is told the upload is unknown, not half-served.
      if (upload.store_upload_id)
        await this.#objects.abortMultipart(upload.bucket, upload.storage_key, upload.store_upload_id);
      else await this.#objects.remove(upload.bucket, upload.storage_key);
      await this.#sql.query(
        `update "file"."files" set status = 'deleted', deleted_at = ? where file_id = ? and status = 'uploading'`,
        [now, upload.file_id],
      );
    }
    return uploads.length;
  }

  async #removeUnreferencedBlobs(): Promise<number> {
    // A deleted file lets go of its bytes (its row stays: the id answers 070106, and statistics count it).
    await this.#sql.query(
      `update "file"."files" set blob_id = null, thumbnail_blob_id = null
       where status = 'deleted' and (blob_id is not null or thumbnail_blob_id is not null)`,
    );
    const blobs = await this.#sql.query<{ bucket: string; storage_key: string }>(
      `delete from "file"."blobs" b where b.blob_id in (
         select blob_id from "file"."blobs" c
         where c.created_at <= now() - make_interval(secs => ?)
           and not exists (select 1 from "file"."files" f where f.blob_id = c.blob_id or f.thumbnail_blob_id = c.blob_id)
         limit ${BATCH})
       returning bucket, storage_key`,
      [this.#blobGraceSeconds],
    );
    for (const blob of blobs) await this.#objects.remove(blob.bucket, blob.storage_key);
    return blobs.length;
  }
}
