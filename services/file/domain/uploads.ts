import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { FileConfig } from '../../platform/file-config.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { GroupMembership } from '../clients/groups.ts';
import { NoSuchUpload, type ObjectStore } from '../storage/port.ts';
import { type Blobs, sha256Of } from './blobs.ts';
import { detectedType, SNIFF_BYTES } from './content-type.ts';
import type { FileRecord, FileStore, MediaDetails, NewFile, UploadRecord } from './file-store.ts';
import { bucketSuffixOf, type FileKind, IMAGE_KINDS } from './kinds.ts';
import { durationOf, processImage } from './media.ts';
import type { VideoFrames } from './video.ts';

const MiB = 1024 * 1024;
/** S3's smallest part (all but the last); also the chunk size clients are told to use. */
export const CHUNK_SIZE = 5 * MiB;

export interface UploadRequest {
  userId: string;
  kind: FileKind;
  fileName: string;
  fileSize: number;
  /** The group whose avatar this is (group_avatar only): its members may see the file. */
  groupId?: string | undefined;
  /** SHA-256 of the bytes, as the client declares it: when the user holds these bytes already, the upload completes at once. */
  sha256?: string | undefined;
}

/** An upload completed at init: the user holds the same bytes already and sends none. */
export interface InstantUpload {
  completed: FileRecord;
}

export interface StartedUpload {
  uploadId: string;
  fileId: string;
  chunkSize: number;
  totalChunks: number;
  expiresAt: Date;
}

/**
 * Uploads of seed §4.7: one request (small files), multipart in chunks of CHUNK_SIZE that a client
 * can resume (it asks which chunks are held), and direct upload to a signed URL. Each checks the
 * kind's size limit and the user's quota first, and the content's real type before the file is
 * usable. Identical bytes are stored once per bucket. A user who declares the SHA-256 of bytes
 * they uploaded before (same kind) gets a new file of them at once (instant upload); bytes only
 * someone else holds are uploaded as any others, so nobody learns whether another user holds them.
 */
export class Uploads {
  readonly #files: FileStore;
  readonly #objects: ObjectStore;
  readonly #blobs: Blobs;
  readonly #ids: SnowflakeGenerator;
  readonly #config: FileConfig;
  readonly #groups: GroupMembership;
  readonly #video: VideoFrames;

  constructor(
    files: FileStore,
    objects: ObjectStore,
    blobs: Blobs,
    ids: SnowflakeGenerator,
    config: FileConfig,
    groups: GroupMembership,
    video: VideoFrames,
  ) {
    this.#video = video;
    this.#groups = groups;
    this.#files = files;
    this.#objects = objects;
    this.#blobs = blobs;
    this.#ids = ids;
    this.#config = config;
  }

  bucketOf(kind: FileKind): string {
    return `${this.#config.bucketPrefix}${bucketSuffixOf(kind)}`;
  }

  #expiresAt(kind: FileKind, now: Date): Date | null {
    return kind === 'temp' ? new Date(now.getTime() + this.#config.tempTtlSeconds * 1000) : null;
  }

  /** Size limit of the kind, then the quota (uploads in progress count with their declared size). */
  async #checkAllowed(request: UploadRequest): Promise<void> {
    if ((request.kind === 'group_avatar') !== (request.groupId !== undefined))
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail: 'groupId goes with type group_avatar, and only with it',
      });
    if (request.groupId && !(await this.#groups.isMember(request.groupId, request.userId)))
      throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
    const max = this.#config.maxBytes[request.kind];
    if (request.fileSize > max)
      throw new AppError(ErrorCode.FILE_TOO_LARGE, {
        detail: `a ${request.kind} may be at most ${max} bytes`,
        data: { maxBytes: max },
      });
    const held = await this.#files.bytesHeldBy(request.userId);
    if (held + request.fileSize > this.#config.userQuotaBytes)
      throw new AppError(ErrorCode.FILE_QUOTA_EXCEEDED, {
        detail: `${held} of ${this.#config.userQuotaBytes} bytes used`,
        data: { usedBytes: held, quotaBytes: this.#config.userQuotaBytes },
      });
  }

  /** A file row counted in the quota; refused with 70103 when it does not fit (the binding check). */
  async #insertCounted(files: FileStore, file: NewFile, now: Date): Promise<void> {
    const quotaBytes = this.#config.userQuotaBytes;
    const result = await files.insertWithinQuota(file, now, quotaBytes);
    if (!result.inserted)
      throw new AppError(ErrorCode.FILE_QUOTA_EXCEEDED, {
        detail: `${result.usedBytes} of ${quotaBytes} bytes used`,
        data: { usedBytes: result.usedBytes, quotaBytes },
      });
  }

  /** The whole file in one request (already read, at most FILE_SIMPLE_UPLOAD_MAX_MB). */
  async simple(request: Omit<UploadRequest, 'fileSize'>, bytes: Buffer): Promise<FileRecord> {
    const full = { ...request, fileSize: bytes.length };
    await this.#checkAllowed(full);
    const mimeType = await detectedType(request.kind, bytes);
    const bucket = this.bucketOf(request.kind);
    const { stored, media } = await this.#processed(request.kind, mimeType, bucket, bytes);
    const blob = await this.#blobs.store(bucket, stored);
    const fileId = this.#ids.next();
    const now = new Date();
    await this.#insertCounted(
      this.#files,
      {
        fileId,
        userId: request.userId,
        fileName: request.fileName,
        fileSize: stored.length,
        mimeType,
        kind: request.kind,
        status: 'ready',
        groupId: request.groupId ?? null,
        expiresAt: this.#expiresAt(request.kind, now),
        blobId: blob.blobId,
        media,
        contentSha256: sha256Of(bytes),
      },
      now,
    );
    return (await this.#files.file(fileId))!;
  }

  /**
   * What a file's content is, found when it is stored: images get their dimensions, a thumbnail
   * (stored beside them) and their metadata removed (processImage); voice its duration, video its
   * duration, dimensions and cover (#videoMedia).
   */
  async #processed(
    kind: FileKind,
    mimeType: string,
    bucket: string,
    bytes: Buffer,
  ): Promise<{ stored: Buffer; media: MediaDetails }> {
    if (IMAGE_KINDS.includes(kind)) {
      const image = await processImage(bytes);
      const thumbnail = image.thumbnail ? await this.#blobs.store(bucket, image.thumbnail) : null;
      return {
        stored: image.bytes,
        media: { width: image.width, height: image.height, thumbnailBlobId: thumbnail?.blobId ?? null },
      };
    }
    if (kind === 'chat_video')
      return {
        stored: bytes,
        media: await this.#videoMedia(bucket, mimeType, bytes.length, async () => bytes),
      };
    if (kind === 'chat_voice')
      return {
        stored: bytes,
        media: { durationMs: await durationOf(bytes, mimeType, bytes.length) },
      };
    return { stored: bytes, media: {} };
  }

  /**
   * Starts an upload: a file row (counted in the quota from now) and its upload record; or, when
   * the user holds the declared bytes already, a complete file of them (counted in the quota too).
   */
  async #start(
    request: UploadRequest,
    mode: UploadRecord['mode'],
  ): Promise<(StartedUpload & UploadRecord) | InstantUpload> {
    await this.#checkAllowed(request);
    const instant = request.sha256 ? await this.#instant(request, request.sha256) : null;
    if (instant) return instant;
    const bucket = this.bucketOf(request.kind);
    const key = this.#blobs.newKey();
    const storeUploadId = mode === 'multipart' ? await this.#objects.startMultipart(bucket, key) : null;
    const now = new Date();
    const upload: UploadRecord = {
      uploadId: this.#ids.next(),
      fileId: this.#ids.next(),
      userId: request.userId,
      mode,
      bucket,
      key,
      storeUploadId,
      chunkSize: CHUNK_SIZE,
      totalChunks: Math.max(1, Math.ceil(request.fileSize / CHUNK_SIZE)),
      expiresAt: new Date(now.getTime() + this.#config.uploadTtlSeconds * 1000),
    };
    await this.#files.transaction(async (files) => {
      await this.#insertCounted(
        files,
        {
          fileId: upload.fileId,
          userId: request.userId,
          fileName: request.fileName,
          fileSize: request.fileSize,
          mimeType: 'application/octet-stream',
          kind: request.kind,
          status: 'uploading',
          groupId: request.groupId ?? null,
          expiresAt: this.#expiresAt(request.kind, now),
          blobId: null,
        },
        now,
      );
      await files.insertUpload(upload, now);
    });
    return upload;
  }

  /** A copy of the user's own file of these bytes and this kind, under the new name (and group). */
  async #instant(request: UploadRequest, sha256: string): Promise<InstantUpload | null> {
    const now = new Date();
    const held = await this.#files.ownByContent(request.userId, request.kind, sha256, now);
    if (!held?.blob) return null;
    const fileId = this.#ids.next();
    await this.#insertCounted(
      this.#files,
      {
        fileId,
        userId: request.userId,
        fileName: request.fileName,
        fileSize: held.fileSize,
        mimeType: held.mimeType,
        kind: request.kind,
        status: 'ready',
        groupId: request.groupId ?? null,
        expiresAt: this.#expiresAt(request.kind, now),
        blobId: held.blob.blobId,
        media: {
          width: held.width,
          height: held.height,
          durationMs: held.durationMs,
          thumbnailBlobId: held.thumbnail?.blobId ?? null,
        },
        contentSha256: sha256,
      },
      now,
    );
    return { completed: (await this.#files.file(fileId))! };
  }

  startMultipart(request: UploadRequest): Promise<StartedUpload | InstantUpload> {
    return this.#start(request, 'multipart');
  }

  /** A direct upload: the client PUTs the bytes to the answered URL, then completes. */
  async presign(request: UploadRequest): Promise<(StartedUpload & { uploadUrl: string }) | InstantUpload> {
    const upload = await this.#start(request, 'direct');
    if ('completed' in upload) return upload;
    const ttl = Math.min(this.#config.urlTtlSeconds * 12, this.#config.uploadTtlSeconds);
    const uploadUrl = await this.#objects.signedPutUrl(upload.bucket, upload.key, ttl);
    return { ...upload, uploadUrl };
  }

  /** The user's unfinished upload, or 070108 (unknown, finished, expired or someone else's). */
  async #ownUpload(userId: string, uploadId: string, mode: UploadRecord['mode']): Promise<UploadRecord> {
    const upload = await this.#files.upload(uploadId);
    if (
      !upload ||
      upload.userId !== userId ||
      upload.mode !== mode ||
      upload.expiresAt.getTime() <= Date.now()
    )
      throw new AppError(ErrorCode.FILE_UPLOAD_ID_INVALID, {
        detail: `no unfinished upload ${uploadId} of yours`,
      });
    return upload;
  }

  #expectedChunkSize(upload: UploadRecord, fileSize: number, chunkIndex: number): number {
    return chunkIndex === upload.totalChunks - 1
      ? fileSize - upload.chunkSize * chunkIndex
      : upload.chunkSize;
  }

  /**
   * Stores one chunk (0-based index); sending a chunk again replaces it. The first chunk's type is
   * checked at once. Answers how many chunks the store now holds.
   */
  async putChunk(
    userId: string,
    uploadId: string,
    chunkIndex: number,
    bytes: Buffer,
  ): Promise<{ fileId: string; receivedChunks: number; totalChunks: number }> {
    const upload = await this.#ownUpload(userId, uploadId, 'multipart');
    const file = (await this.#files.file(upload.fileId))!;
    if (!Number.isInteger(chunkIndex) || chunkIndex < 0 || chunkIndex >= upload.totalChunks)
      throw new AppError(ErrorCode.FILE_CHUNK_INDEX_INVALID, {
        detail: `chunkIndex must be 0 to ${upload.totalChunks - 1}`,
      });
    const expected = this.#expectedChunkSize(upload, file.fileSize, chunkIndex);
    if (bytes.length !== expected)
      throw new AppError(ErrorCode.FILE_CHUNK_INDEX_INVALID, {
        detail: `chunk ${chunkIndex} must be ${expected} bytes, not ${bytes.length}`,
      });
    // A kind that takes only some types refuses the upload at its first chunk, not after all of them.
    if (chunkIndex === 0) await detectedType(file.kind, bytes.subarray(0, SNIFF_BYTES));
    await this.#onStoreUpload(uploadId, () =>
      this.#objects.uploadPart(upload.bucket, upload.key, upload.storeUploadId!, chunkIndex + 1, bytes),
    );
    const { chunks } = await this.heldChunks(userId, uploadId);
    return { fileId: upload.fileId, receivedChunks: chunks.length, totalChunks: upload.totalChunks };
  }

  /** The chunks the store holds (0-based): what a client sends again after a network loss is the rest. */
  async heldChunks(userId: string, uploadId: string): Promise<{ upload: UploadRecord; chunks: number[] }> {
    const upload = await this.#ownUpload(userId, uploadId, 'multipart');
    const parts = await this.#onStoreUpload(uploadId, () =>
      this.#objects.listParts(upload.bucket, upload.key, upload.storeUploadId!),
    );
    return { upload, chunks: parts.map((part) => part.partNumber - 1) };
  }

  async #onStoreUpload<T>(uploadId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof NoSuchUpload)
        throw new AppError(ErrorCode.FILE_UPLOAD_ID_INVALID, { detail: `upload ${uploadId} is gone` });
      throw error;
    }
  }

  /**
   * Completes a multipart or direct upload: checks every byte arrived, the real type, and dedups.
   * `processing` is told when all bytes are there and an image, voice or video is to be processed.
   */
  async complete(
    userId: string,
    uploadId: string,
    processing: (upload: { uploadId: string; fileId: string }) => Promise<void>,
  ): Promise<FileRecord> {
    const found = await this.#files.upload(uploadId);
    const upload = await this.#ownUpload(userId, uploadId, found?.mode ?? 'multipart');
    const file = (await this.#files.file(upload.fileId))!;
    if (upload.mode === 'multipart') {
      const parts = await this.#onStoreUpload(uploadId, () =>
        this.#objects.listParts(upload.bucket, upload.key, upload.storeUploadId!),
      );
      const missing: number[] = [];
      for (let index = 0; index < upload.totalChunks; index++) {
        const part = parts.find((p) => p.partNumber === index + 1);
        if (part?.size !== this.#expectedChunkSize(upload, file.fileSize, index)) missing.push(index);
      }
      if (missing.length > 0)
        throw new AppError(ErrorCode.FILE_CHUNK_INDEX_INVALID, {
          detail: `chunks not uploaded yet: ${missing.slice(0, 20).join(', ')}`,
          data: { missingChunks: missing },
        });
      await this.#objects.completeMultipart(upload.bucket, upload.key, upload.storeUploadId!, parts);
    } else {
      const uploaded = await this.#objects.stat(upload.bucket, upload.key);
      if (uploaded?.size !== file.fileSize) {
        await this.#objects.remove(upload.bucket, upload.key);
        throw new AppError(ErrorCode.FILE_UPLOAD_FAILED, {
          detail: uploaded
            ? `${uploaded.size} bytes were uploaded, ${file.fileSize} declared`
            : 'nothing was uploaded to the URL',
        });
      }
    }
    if (file.kind !== 'chat_file' && file.kind !== 'temp')
      await processing({ uploadId, fileId: file.fileId });
    const stored = await this.#storedContent(upload, file).catch(async (error: unknown) => {
      // Content of a type this kind does not take: nothing of it is kept.
      if (error instanceof AppError && error.code === ErrorCode.FILE_TYPE_UNSUPPORTED)
        await this.#abandon(upload);
      throw error;
    });
    const completed = await this.#files.transaction(async (files) => {
      if (!(await files.deleteUpload(uploadId))) return false;
      await files.completeFile(file.fileId, stored);
      return true;
    });
    if (!completed)
      throw new AppError(ErrorCode.FILE_UPLOAD_ID_INVALID, {
        detail: `upload ${uploadId} was completed already`,
      });
    return (await this.#files.file(file.fileId))!;
  }

  /**
   * The completed object's type, processing and blob. Images and voice are read into memory (their
   * size limits are small) and processed as a one-request upload is; anything else is hashed as it
   * streams by, and a video's duration read from its container.
   */
  async #storedContent(upload: UploadRecord, file: FileRecord) {
    if (IMAGE_KINDS.includes(file.kind) || file.kind === 'chat_voice') {
      const chunks: Buffer[] = [];
      for await (const chunk of await this.#objects.get(upload.bucket, upload.key))
        chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      const mimeType = await detectedType(file.kind, bytes);
      const { stored, media } = await this.#processed(file.kind, mimeType, upload.bucket, bytes);
      const contentSha256 = sha256Of(bytes);
      let blob: { blobId: string };
      if (stored === bytes)
        blob = await this.#blobs.adopt(upload.bucket, upload.key, contentSha256, bytes.length);
      else {
        await this.#objects.remove(upload.bucket, upload.key);
        blob = await this.#blobs.store(upload.bucket, stored);
      }
      return { blobId: blob.blobId, mimeType, size: stored.length, media, contentSha256 };
    }
    const hash = createHash('sha256');
    const heads: Buffer[] = [];
    let headLength = 0;
    for await (const chunk of await this.#objects.get(upload.bucket, upload.key)) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      if (headLength < SNIFF_BYTES) {
        heads.push(bytes.subarray(0, SNIFF_BYTES - headLength));
        headLength += Math.min(bytes.length, SNIFF_BYTES - headLength);
      }
    }
    const mimeType = await detectedType(file.kind, Buffer.concat(heads));
    const media: MediaDetails =
      file.kind === 'chat_video'
        ? await this.#videoMedia(upload.bucket, mimeType, file.fileSize, () =>
            this.#objects.get(upload.bucket, upload.key),
          )
        : {};
    const contentSha256 = hash.digest('hex');
    const blob = await this.#blobs.adopt(upload.bucket, upload.key, contentSha256, file.fileSize);
    return { blobId: blob.blobId, mimeType, size: file.fileSize, media, contentSha256 };
  }

  /**
   * A video's duration and dimensions (ffprobe) and cover frame (ffmpeg, stored beside it as images'
   * thumbnails are); without ffmpeg, or when it cannot read the file, the duration its container
   * gives music-metadata, and no cover.
   */
  async #videoMedia(
    bucket: string,
    mimeType: string,
    size: number,
    open: () => Promise<Buffer | Readable>,
  ): Promise<MediaDetails> {
    const video = await this.#video.details(await open());
    const durationMs = video?.durationMs ?? (await durationOf(await open(), mimeType, size));
    const cover = video?.cover ? await this.#blobs.store(bucket, video.cover) : null;
    return {
      durationMs,
      width: video?.width ?? null,
      height: video?.height ?? null,
      thumbnailBlobId: cover?.blobId ?? null,
    };
  }

  /** Drops an upload whose content was refused: its bytes, its record, its file row. */
  async #abandon(upload: UploadRecord): Promise<void> {
    await this.#objects.remove(upload.bucket, upload.key);
    await this.#files.transaction(async (files) => {
      await files.deleteUpload(upload.uploadId);
      await files.markDeleted(upload.fileId, new Date());
    });
  }
}
