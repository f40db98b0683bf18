import { FileService } from '../../platform/contracts/gen/anychat/file/v1/file_pb.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

export interface RecordingFile {
  /** Chosen when the recording started: registering twice answers the same file. */
  fileId: string;
  ownerId: string;
  storageKey: string;
  fileName: string;
  /** Whoever belongs to this meeting, when they ask, reads the file. */
  meetingId: string;
  durationMs: number | undefined;
}

/**
 * The file service as recordings use it: a finished recording, which Egress wrote into the
 * file service's bucket, becomes a file there (FileService.RegisterRecording), counted in its
 * owner's quota and downloaded through the usual file routes by the meeting's members.
 */
export class RecordingFiles {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** Answers the bytes stored; 70103 (its bytes removed) when the owner's quota cannot take them. */
  async register(file: RecordingFile): Promise<number> {
    const { size } = await this.#invoke.call(FileService.method.registerRecording, {
      fileId: file.fileId,
      ownerId: file.ownerId,
      storageKey: file.storageKey,
      fileName: file.fileName,
      mimeType: 'video/mp4',
      meetingId: file.meetingId,
      ...(file.durationMs === undefined ? {} : { durationMs: file.durationMs }),
    });
    return Number(size);
  }

  /** The bytes the user's files hold and their quota. */
  async quota(userId: string): Promise<{ usedBytes: number; quotaBytes: number }> {
    const answer = await this.#invoke.call(FileService.method.getStorageQuota, { userId });
    return { usedBytes: Number(answer.usedBytes), quotaBytes: Number(answer.quotaBytes) };
  }
}
