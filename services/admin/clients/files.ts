import { FileAdminService } from '../../platform/contracts/gen/anychat/file/v1/file_pb.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** Files as the admin service sees them (the file service owns them). */
export class FilesClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** Storage use in total, or of one user. */
  async stats(userId?: string) {
    const stats = await this.#invoke.call(FileAdminService.method.getFileStats, userId ? { userId } : {});
    return {
      files: Number(stats.files),
      bytes: Number(stats.bytes),
      storedBytes: Number(stats.storedBytes),
      kinds: stats.kinds.map((kind) => ({
        kind: kind.kind,
        files: Number(kind.files),
        bytes: Number(kind.bytes),
      })),
    };
  }

  async delete(fileId: string) {
    const deleted = await this.#invoke.call(FileAdminService.method.deleteFile, { fileId });
    return { ownerId: deleted.ownerId, fileName: deleted.fileName, size: Number(deleted.size) };
  }
}
