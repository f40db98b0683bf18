import type { Readable } from 'node:stream';

/** One stored part of an unfinished multipart upload. */
export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
}

export interface ObjectInfo {
  size: number;
}

/** Headers a signed download URL makes the store answer with (S3's response-* overrides). */
export interface DownloadHeaders {
  contentType: string;
  contentDisposition: string;
}

/**
 * Object storage as the file service uses it: S3's model (buckets, keys, multipart uploads,
 * time-limited signed URLs). Two adapters keep the same behaviour, held to it by one contract suite
 * (test/file/object-store.contract.ts): S3/MinIO through the `minio` client for clusters, and a
 * local directory for the embedded platform, whose signed URLs the file service itself serves.
 */
export interface ObjectStore {
  readonly kind: 's3' | 'local';
  /** Creates the buckets that do not exist yet. */
  ensureBuckets(buckets: string[]): Promise<void>;
  put(bucket: string, key: string, body: Buffer | Readable, size: number): Promise<void>;
  /** The object, whole or the bytes [start, end] (inclusive, as HTTP ranges count). */
  get(bucket: string, key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** null when there is no such object. */
  stat(bucket: string, key: string): Promise<ObjectInfo | null>;
  /** Removing what is not there is not an error. */
  remove(bucket: string, key: string): Promise<void>;
  /** Starts a multipart upload of `key`; the answer names it in the calls below. */
  startMultipart(bucket: string, key: string): Promise<string>;
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
  ): Promise<StoredPart>;
  /** The parts the store holds for an unfinished upload, by part number: what a client resumes from. */
  listParts(bucket: string, key: string, uploadId: string): Promise<StoredPart[]>;
  completeMultipart(bucket: string, key: string, uploadId: string, parts: StoredPart[]): Promise<void>;
  abortMultipart(bucket: string, key: string, uploadId: string): Promise<void>;
  /** A URL that fetches the object (Range works) until `expirySeconds` pass, answering with `headers`. */
  signedGetUrl(bucket: string, key: string, expirySeconds: number, headers: DownloadHeaders): Promise<string>;
  /** A URL a client PUTs the object's bytes to until `expirySeconds` pass (direct upload). */
  signedPutUrl(bucket: string, key: string, expirySeconds: number): Promise<string>;
}

/** The upload id names no unfinished upload of that object (S3's NoSuchUpload). */
export class NoSuchUpload extends Error {
  override name = 'NoSuchUpload';
  constructor(uploadId: string) {
    super(`no unfinished upload ${uploadId}`);
  }
}
