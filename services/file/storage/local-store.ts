import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type DownloadHeaders,
  NoSuchUpload,
  type ObjectInfo,
  type ObjectStore,
  type StoredPart,
} from './port.ts';
import type { UrlSigner } from './url-signer.ts';

/** Where the file service serves the local store's signed URLs (local-store-http.ts). */
export const LOCAL_STORE_PATH = '/api/v1/files/blob';

const MULTIPART_DIR = '.multipart';
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** A bucket or key segment that cannot leave the store's directory ('' names the bucket itself). */
function checkedSegments(bucket: string, key: string): string[] {
  const segments = key === '' ? [bucket] : [bucket, ...key.split('/')];
  for (const segment of segments)
    if (!SAFE_NAME.test(segment) || segment === MULTIPART_DIR)
      throw new Error(`unsafe object name ${bucket}/${key}`);
  return segments;
}

export interface LocalStoreOptions {
  root: string;
  signer: UrlSigner;
  /** The public base URL signed URLs start with (the file service's own address). */
  publicUrl: () => string;
}

/**
 * Objects as files under one directory, for the embedded platform: `npm start` needs no object
 * server. Multipart parts wait in `.multipart/<uploadId>/` until completed into one file. Signed
 * URLs point at the file service itself, which checks them (local-store-http.ts).
 */
export class LocalStore implements ObjectStore {
  readonly kind = 'local';
  readonly #root: string;
  readonly #signer: UrlSigner;
  readonly #publicUrl: () => string;

  constructor(options: LocalStoreOptions) {
    this.#root = resolve(options.root);
    this.#signer = options.signer;
    this.#publicUrl = options.publicUrl;
  }

  /** The file of an object (checked to stay inside the store). */
  pathOf(bucket: string, key: string): string {
    const path = join(this.#root, ...checkedSegments(bucket, key));
    if (!path.startsWith(this.#root + sep)) throw new Error(`unsafe object name ${bucket}/${key}`);
    return path;
  }

  #uploadDir(uploadId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(uploadId)) throw new NoSuchUpload(uploadId);
    return join(this.#root, MULTIPART_DIR, uploadId);
  }

  async ensureBuckets(buckets: string[]): Promise<void> {
    for (const bucket of buckets)
      await mkdir(join(this.#root, ...checkedSegments(bucket, '')), { recursive: true });
    await mkdir(join(this.#root, MULTIPART_DIR), { recursive: true });
  }

  async put(bucket: string, key: string, body: Buffer | Readable, size: number): Promise<void> {
    const path = this.pathOf(bucket, key);
    await mkdir(resolve(path, '..'), { recursive: true });
    // Written beside and renamed: a reader never sees half an object.
    const partial = `${path}.${randomUUID()}.partial`;
    try {
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(partial));
      const written = (await stat(partial)).size;
      if (written !== size)
        throw new Error(`object ${bucket}/${key}: ${written} bytes written, ${size} declared`);
      await rename(partial, path);
    } finally {
      await rm(partial, { force: true });
    }
  }

  async get(bucket: string, key: string, range?: { start: number; end: number }): Promise<Readable> {
    const path = this.pathOf(bucket, key);
    await stat(path);
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | null> {
    try {
      const info = await stat(this.pathOf(bucket, key));
      return info.isFile() ? { size: info.size } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async remove(bucket: string, key: string): Promise<void> {
    await rm(this.pathOf(bucket, key), { force: true });
  }

  async startMultipart(bucket: string, key: string): Promise<string> {
    const uploadId = randomUUID();
    const dir = this.#uploadDir(uploadId);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'target.json'), JSON.stringify({ bucket, key }));
    return uploadId;
  }

  async #checkUpload(bucket: string, key: string, uploadId: string): Promise<string> {
    const dir = this.#uploadDir(uploadId);
    let target: { bucket: string; key: string };
    try {
      target = JSON.parse(await readFile(join(dir, 'target.json'), 'utf8')) as typeof target;
    } catch {
      throw new NoSuchUpload(uploadId);
    }
    if (target.bucket !== bucket || target.key !== key) throw new NoSuchUpload(uploadId);
    return dir;
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
  ): Promise<StoredPart> {
    const dir = await this.#checkUpload(bucket, key, uploadId);
    const partial = join(dir, `${partNumber}.${randomUUID()}.partial`);
    await writeFile(partial, body);
    await rename(partial, join(dir, `${partNumber}.part`));
    return { partNumber, size: body.length, etag: `${partNumber}-${body.length}` };
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<StoredPart[]> {
    const dir = await this.#checkUpload(bucket, key, uploadId);
    const parts: StoredPart[] = [];
    for (const name of await readdir(dir)) {
      const match = /^(\d+)\.part$/.exec(name);
      if (!match) continue;
      const partNumber = Number(match[1]);
      const { size } = await stat(join(dir, name));
      parts.push({ partNumber, size, etag: `${partNumber}-${size}` });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipart(bucket: string, key: string, uploadId: string, parts: StoredPart[]): Promise<void> {
    const dir = await this.#checkUpload(bucket, key, uploadId);
    const held = new Map(
      (await this.listParts(bucket, key, uploadId)).map((part) => [part.partNumber, part]),
    );
    for (const part of parts)
      if (held.get(part.partNumber)?.etag !== part.etag)
        throw new Error(`upload ${uploadId}: part ${part.partNumber} is not held as listed`);
    const size = parts.reduce((sum, part) => sum + part.size, 0);
    const chunks = Readable.from(
      (async function* () {
        for (const part of parts) yield* createReadStream(join(dir, `${part.partNumber}.part`));
      })(),
    );
    await this.put(bucket, key, chunks, size);
    await rm(dir, { recursive: true, force: true });
  }

  async abortMultipart(_bucket: string, _key: string, uploadId: string): Promise<void> {
    await rm(this.#uploadDir(uploadId), { recursive: true, force: true });
  }

  async signedGetUrl(
    bucket: string,
    key: string,
    expirySeconds: number,
    headers: DownloadHeaders,
  ): Promise<string> {
    return this.#url({
      method: 'GET',
      bucket,
      key,
      expires: Math.floor(Date.now() / 1000) + expirySeconds,
      contentType: headers.contentType,
      contentDisposition: headers.contentDisposition,
    });
  }

  async signedPutUrl(bucket: string, key: string, expirySeconds: number): Promise<string> {
    return this.#url({ method: 'PUT', bucket, key, expires: Math.floor(Date.now() / 1000) + expirySeconds });
  }

  #url(request: Parameters<UrlSigner['sign']>[0]): string {
    checkedSegments(request.bucket, request.key);
    const url = new URL(`${LOCAL_STORE_PATH}/${request.bucket}/${request.key}`, this.#publicUrl());
    url.searchParams.set('expires', String(request.expires));
    if (request.contentType) url.searchParams.set('contentType', request.contentType);
    if (request.contentDisposition) url.searchParams.set('contentDisposition', request.contentDisposition);
    url.searchParams.set('signature', this.#signer.sign(request));
    return url.toString();
  }
}
