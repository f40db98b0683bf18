import { FileService, ShareTarget } from '../../platform/contracts/gen/anychat/file/v1/file_pb.ts';
import type { SessionType } from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** What a message shows of an uploaded file, as the file service describes it. */
export interface SharedFile {
  fileId: string;
  kind: string;
  fileName: string;
  size: number;
  mimeType: string;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  hasThumbnail: boolean;
  /** The route answering a fresh signed URL of the thumbnail, when there is one. */
  thumbnailUrl: string | null;
}

/** Files put into messages: the file service checks the sender may share them and lets the conversation read them. */
export class FileSharing {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  async share(
    fileId: string,
    senderId: string,
    sessionType: SessionType,
    targetId: string,
  ): Promise<SharedFile> {
    const { file } = await this.#invoke.call(FileService.method.shareFile, {
      fileId,
      senderId,
      target: sessionType === 'group' ? ShareTarget.GROUP : ShareTarget.USER,
      targetId,
    });
    if (!file) throw new Error(`the file service described no file ${fileId}`);
    return {
      fileId: file.fileId,
      kind: file.kind,
      fileName: file.fileName,
      size: Number(file.size),
      mimeType: file.mimeType,
      width: file.width ?? null,
      height: file.height ?? null,
      durationMs: file.durationMs ?? null,
      hasThumbnail: file.hasThumbnail,
      thumbnailUrl: file.thumbnailUrl ?? null,
    };
  }
}
