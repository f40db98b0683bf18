import type { Readable } from 'node:stream';
import { Client, type ClientOptions, S3Error } from 'minio';
import {
  type DownloadHeaders,
  NoSuchUpload,
  type ObjectInfo,
  type ObjectStore,
  type StoredPart,
} from './port.ts';

/** `listParts` is protected in the client; the store needs it to tell a client what it may resume from. */
class S3Client extends Client {
  partsOf(bucket: string, key: string, uploadId: string) {
    return this.listParts(bucket, key, uploadId);
  }
}

const missing = (error: unknown) =>
  error instanceof S3Error && ['NoSuchKey', 'NotFound', 'NoSuchUpload'].includes(String(error.code));
const noSuchUpload = (error: unknown) => error instanceof S3Error && error.code === 'NoSuchUpload';

/** Runs a call on an unfinished upload, naming a missing upload as the port does. */
async function onUpload<T>(uploadId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (noSuchUpload(error)) throw new NoSuchUpload(uploadId);
    throw error;
  }
}

export interface S3StoreOptions {
  endpoint: URL;
  accessKey: string;
  secretKey: string;
  region: string;
}

/** Objects on S3 or MinIO through the `minio` client. */
export class S3Store implements ObjectStore {
  readonly kind = 's3';
  readonly #client: S3Client;
  readonly #region: string;

  constructor(options: S3StoreOptions) {
    const { endpoint } = options;
    const useSSL = endpoint.protocol === 'https:';
    const config: ClientOptions = {
      endPoint: endpoint.hostname,
      useSSL,
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region,
      // Path-style addressing: MinIO and most S3-compatible servers have no per-bucket host names.
      pathStyle: true,
    };
    if (endpoint.port) config.port = Number(endpoint.port);
    this.#client = new S3Client(config);
    this.#region = options.region;
  }

  async ensureBuckets(buckets: string[]): Promise<void> {
    for (const bucket of buckets) {
      if (await this.#client.bucketExists(bucket)) continue;
      try {
        await this.#client.makeBucket(bucket, this.#region);
      } catch (error) {
        // Another replica made it between the check and the call.
        if (!(error instanceof S3Error && String(error.code).startsWith('BucketAlready'))) throw error;
      }
    }
  }

  async put(bucket: string, key: string, body: Buffer | Readable, size: number): Promise<void> {
    await this.#client.putObject(bucket, key, body, size, { 'Content-Type': 'application/octet-stream' });
  }

  get(bucket: string, key: string, range?: { start: number; end: number }): Promise<Readable> {
    return range
      ? this.#client.getPartialObject(bucket, key, range.start, range.end - range.start + 1)
      : this.#client.getObject(bucket, key);
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | null> {
    try {
      const stat = await this.#client.statObject(bucket, key);
      return { size: stat.size };
    } catch (error) {
      if (missing(error)) return null;
      throw error;
    }
  }

  remove(bucket: string, key: string): Promise<void> {
    return this.#client.removeObject(bucket, key);
  }

  startMultipart(bucket: string, key: string): Promise<string> {
    return this.#client.initiateNewMultipartUpload(bucket, key, {
      'Content-Type': 'application/octet-stream',
    });
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
  ): Promise<StoredPart> {
    const part = await onUpload(uploadId, () =>
      this.#client.uploadPart(
        { bucketName: bucket, objectName: key, uploadID: uploadId, partNumber, headers: {} },
        body,
      ),
    );
    return { partNumber, size: body.length, etag: part.etag };
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<StoredPart[]> {
    const parts = await onUpload(uploadId, () => this.#client.partsOf(bucket, key, uploadId));
    return parts
      .map((part) => ({ partNumber: part.part, size: part.size, etag: part.etag }))
      .sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipart(bucket: string, key: string, uploadId: string, parts: StoredPart[]): Promise<void> {
    await onUpload(uploadId, () =>
      this.#client.completeMultipartUpload(
        bucket,
        key,
        uploadId,
        parts.map((part) => ({ part: part.partNumber, etag: part.etag })),
      ),
    );
  }

  async abortMultipart(bucket: string, key: string, uploadId: string): Promise<void> {
    try {
      await this.#client.abortMultipartUpload(bucket, key, uploadId);
    } catch (error) {
      if (!missing(error)) throw error;
    }
  }

  signedGetUrl(
    bucket: string,
    key: string,
    expirySeconds: number,
    headers: DownloadHeaders,
  ): Promise<string> {
    return this.#client.presignedGetObject(bucket, key, expirySeconds, {
      'response-content-type': headers.contentType,
      'response-content-disposition': headers.contentDisposition,
    });
  }

  signedPutUrl(bucket: string, key: string, expirySeconds: number): Promise<string> {
    return this.#client.presignedPutObject(bucket, key, expirySeconds);
  }
}
