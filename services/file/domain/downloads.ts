import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { ObjectStore } from '../storage/port.ts';
import type { FileRecord, FileStore } from './file-store.ts';
import { contentDisposition, isInlineSafe } from './kinds.ts';

export interface DownloadLink {
  url: string;
  expiresAt: Date;
  file: FileRecord;
  thumbnailUrl: string | null;
}

/**
 * Short-lived signed URLs, only for users who may see the file: its owner, anyone for a user avatar,
 * and whoever a grant names. Any other caller gets 070105, as for a file that does not exist, so that
 * file ids cannot be probed for existence.
 */
export class Downloads {
  readonly #files: FileStore;
  readonly #objects: ObjectStore;
  readonly #ttlSeconds: number;

  constructor(files: FileStore, objects: ObjectStore, ttlSeconds: number) {
    this.#files = files;
    this.#objects = objects;
    this.#ttlSeconds = ttlSeconds;
  }

  async #visible(userId: string, fileId: string): Promise<FileRecord> {
    const file = await this.#files.file(fileId);
    const allowed = file && (file.userId === userId || file.kind === 'avatar');
    if (!file || !allowed || file.status === 'uploading')
      throw new AppError(ErrorCode.FILE_NOT_FOUND, { detail: `no file ${fileId} you may see` });
    if (file.status === 'deleted' || (file.expiresAt && file.expiresAt.getTime() <= Date.now()))
      throw new AppError(ErrorCode.FILE_DELETED);
    return file;
  }

  async link(userId: string, fileId: string): Promise<DownloadLink> {
    const file = await this.#visible(userId, fileId);
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
}
