import { createHash, randomUUID } from 'node:crypto';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { ObjectStore } from '../storage/port.ts';
import type { FileStore } from './file-store.ts';

export const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Stored bytes, once per bucket and content: identical bytes (by SHA-256) share one object.
 * Dedup is of storage only; every upload still sends its bytes, so nobody learns from it whether
 * someone else holds a file.
 */
export class Blobs {
  readonly #files: FileStore;
  readonly #objects: ObjectStore;
  readonly #ids: SnowflakeGenerator;

  constructor(files: FileStore, objects: ObjectStore, ids: SnowflakeGenerator) {
    this.#files = files;
    this.#objects = objects;
    this.#ids = ids;
  }

  /** A fresh object key: by month, so that a listing of the bucket reads in time order. */
  newKey(): string {
    const now = new Date();
    return `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${randomUUID()}`;
  }

  /** Stores bytes held in memory, unless the bucket holds the same bytes already. */
  async store(bucket: string, bytes: Buffer): Promise<{ blobId: string; key: string }> {
    const sha256 = sha256Of(bytes);
    const existing = await this.#files.blobByHash(bucket, sha256);
    if (existing) return existing;
    const key = this.newKey();
    await this.#objects.put(bucket, key, bytes, bytes.length);
    return this.adopt(bucket, key, sha256, bytes.length);
  }

  /** Records an object already stored (a completed upload); when the same bytes are held, drops this copy. */
  async adopt(
    bucket: string,
    key: string,
    sha256: string,
    size: number,
  ): Promise<{ blobId: string; key: string }> {
    const blob = await this.#files.insertBlob({ blobId: this.#ids.next(), bucket, key, sha256, size });
    if (blob.key !== key) await this.#objects.remove(bucket, key);
    return blob;
  }
}
