import type { Downloads } from './downloads.ts';
import type { FileRecord, FileStore, Grantee } from './file-store.ts';

/**
 * A file put into a message. The sender must be able to see it (their own upload, or a file shared
 * with them, which they forward); the conversation's participants may then read it. The grant is
 * made before the message service stores the message: if that send is then refused, the grantee was
 * never told the file's id, which a message is the only way to learn.
 */
export class Sharing {
  readonly #files: FileStore;
  readonly #downloads: Downloads;

  constructor(files: FileStore, downloads: Downloads) {
    this.#files = files;
    this.#downloads = downloads;
  }

  async share(senderId: string, fileId: string, target: Grantee): Promise<FileRecord> {
    const file = await this.#downloads.visible(senderId, fileId);
    await this.#files.grant(file.fileId, target);
    return file;
  }
}
