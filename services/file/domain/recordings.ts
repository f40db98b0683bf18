import { createHash } from 'node:crypto';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { ObjectStore } from '../storage/port.ts';
import type { Blobs } from './blobs.ts';
import type { FileStore } from './file-store.ts';

/** Where the rtc service tells LiveKit Egress to write: recordings/<meetingId>/<recordingId>.<ext>. */
export const RECORDING_KEY = /^recordings\/\d{1,19}\/\d{1,19}\.(mp4|ogg|webm)$/;

export interface NewRecording {
  fileId: string;
  ownerId: string;
  storageKey: string;
  fileName: string;
  mimeType: string;
  /** The meeting recorded: whoever belongs to it may read the file. */
  meetingId: string;
  durationMs?: number | undefined;
}

/**
 * Meeting recordings that LiveKit Egress wrote straight into the chat-files bucket become files
 * like uploads: the object is hashed and recorded as a blob (the bucket's dedup applies), the file
 * is its owner's and counts against the owner's quota, and the meeting gets a grant (its members,
 * whoever they are when they ask), so the usual download route serves it. A recording that does not
 * fit in the owner's quota is refused as an upload would be (70103), and its bytes are removed: the
 * bucket keeps nobody's bytes outside a quota. The caller chooses the file id, which makes a
 * repeated registration (a redelivered webhook) answer the first.
 */
export class Recordings {
  readonly #files: FileStore;
  readonly #objects: ObjectStore;
  readonly #blobs: Blobs;
  readonly #bucket: string;
  readonly #quotaBytes: number;

  constructor(files: FileStore, objects: ObjectStore, blobs: Blobs, bucket: string, quotaBytes: number) {
    this.#files = files;
    this.#objects = objects;
    this.#blobs = blobs;
    this.#bucket = bucket;
    this.#quotaBytes = quotaBytes;
  }

  /** The bytes a user's files hold, and the quota they count against. */
  async quota(userId: string): Promise<{ usedBytes: number; quotaBytes: number }> {
    return { usedBytes: await this.#files.bytesHeldBy(userId), quotaBytes: this.#quotaBytes };
  }

  async register(recording: NewRecording): Promise<{ fileId: string; size: number }> {
    const known = await this.#files.file(recording.fileId);
    if (known) {
      if (known.userId !== recording.ownerId)
        throw new AppError(ErrorCode.INVALID_PARAMS, { detail: `file ${recording.fileId} is another's` });
      return { fileId: known.fileId, size: known.fileSize };
    }
    if (!RECORDING_KEY.test(recording.storageKey))
      throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'storageKey: not a recording key' });
    const info = await this.#objects.stat(this.#bucket, recording.storageKey);
    if (!info)
      throw new AppError(ErrorCode.FILE_NOT_FOUND, { detail: `nothing stored at ${recording.storageKey}` });
    const refuse = async (usedBytes: number) => {
      await this.#objects.remove(this.#bucket, recording.storageKey);
      return new AppError(ErrorCode.FILE_QUOTA_EXCEEDED, {
        detail: `a recording of ${info.size} bytes does not fit: ${usedBytes} of ${this.#quotaBytes} bytes used`,
        data: { usedBytes, quotaBytes: this.#quotaBytes, size: info.size },
      });
    };
    // Checked first so that a recording that cannot fit is not read through to hash it.
    const { usedBytes } = await this.quota(recording.ownerId);
    if (usedBytes + info.size > this.#quotaBytes) throw await refuse(usedBytes);
    // Streamed: a recording can be far larger than what a request may hold in memory.
    const hash = createHash('sha256');
    for await (const chunk of await this.#objects.get(this.#bucket, recording.storageKey))
      hash.update(chunk as Buffer);
    const blob = await this.#blobs.adopt(this.#bucket, recording.storageKey, hash.digest('hex'), info.size);
    const counted = await this.#files.transaction(async (files) => {
      const result = await files.insertWithinQuota(
        {
          fileId: recording.fileId,
          userId: recording.ownerId,
          fileName: recording.fileName,
          fileSize: info.size,
          mimeType: recording.mimeType,
          kind: 'chat_video',
          status: 'ready',
          groupId: null,
          expiresAt: null,
          blobId: blob.blobId,
          media: { durationMs: recording.durationMs ?? null },
        },
        new Date(),
        this.#quotaBytes,
        { ifAbsent: true },
      );
      if (result.inserted) await files.grant(recording.fileId, { type: 'meeting', id: recording.meetingId });
      return result;
    });
    // Another file took the room meanwhile; the adopted blob, referenced by no file, is swept.
    if (!counted.inserted) throw await refuse(counted.usedBytes);
    return { fileId: recording.fileId, size: info.size };
  }
}
