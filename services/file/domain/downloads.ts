import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { ObjectStore } from '../storage/port.ts';
import type { FileAccess } from './access.ts';
import type { FileRecord, FileStore } from './file-store.ts';
import { contentDisposition, isInlineSafe } from './kinds.ts';

export interface DownloadLink {
  url: string;
  expiresAt: Date;
  file: FileRecord;
  thumbnailUrl: string | null;
}

/**
 * Short-lived signed URLs, only for users who may see the file (access.ts). Any other caller gets
 * 070105, as for a file that does not exist, so that file ids cannot be probed for existence.
 */
export class Downloads {
  readonly #files: FileStore;
  readonly #objects: ObjectStore;
  readonly #access: FileAccess;
  readonly #ttlSeconds: number;

  constructor(files: FileStore, objects: ObjectStore, access: FileAccess, ttlSeconds: number) {
    this.#files = files;
    this.#objects = objects;
    this.#access = access;
    this.#ttlSeconds = ttlSeconds;
  }

  /** The file if the user may see it now and it is complete; 070105 or 070106 otherwise. */
  async visible(userId: string, fileId: string): Promise<FileRecord> {
    const file = await this.#files.file(fileId);
    if (!file || file.status === 'uploading' || !(await this.#access.canSee(userId, file)))
      throw new AppError(ErrorCode.FILE_NOT_FOUND, { detail: `no file ${fileId} you may see` });
    if (file.status === 'deleted' || (file.expiresAt && file.expiresAt.getTime() <= Date.now()))
      throw new AppError(ErrorCode.FILE_DELETED);
    return file;
  }

  async link(userId: string, fileId: string): Promise<DownloadLink> {
    const file = await this.visible(userId, fileId);
    const blob = file.blob!;
    // Only media a browser shows as such keep their type; anything else is bytes to save.
    const contentType = isInlineSafe(file.mimeType) ? file.mimeType : 'application/octet-stream';
    const url = await this.#objects.signedGetUrl(blob.bucket, blob.key, this.#ttlSeconds, {
      contentType,
      contentDisposition: contentDisposition(contentType, file.fileName),
    });
    const thumbnailUrl = file.thumbnail
      ? await this.#objects.signedGetUrl(file.thumbnail.bucket, file.thumbnail.key, this.#ttlSeconds, {
          contentType: 'image/webp',
          contentDisposition: contentDisposition('image/webp', `thumbnail-${file.fileId}.webp`),
        })
      : null;
    return { url, expiresAt: new Date(Date.now() + this.#ttlSeconds * 1000), file, thumbnailUrl };
  }

  /** A signed URL of the file's thumbnail; 070105 when the file has none (or the user may not see it). */
  async thumbnail(userId: string, fileId: string): Promise<{ url: string; expiresAt: Date }> {
    const { thumbnailUrl } = await this.link(userId, fileId);
    if (!thumbnailUrl)
      throw new AppError(ErrorCode.FILE_NOT_FOUND, { detail: `file ${fileId} has no thumbnail` });
    return { url: thumbnailUrl, expiresAt: new Date(Date.now() + this.#ttlSeconds * 1000) };
  }
}
