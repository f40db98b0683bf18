import type { FilesClient } from '../clients/files.ts';
import type { Actor, AuditLog } from './audit-log.ts';

/** Storage use, and deleting a file that breaks the rules (audited: who, which file, whose, why). */
export class FileModeration {
  readonly #files: FilesClient;
  readonly #audit: AuditLog;

  constructor(files: FilesClient, audit: AuditLog) {
    this.#files = files;
    this.#audit = audit;
  }

  use(userId?: string) {
    return this.#files.stats(userId);
  }

  async delete(actor: Actor, fileId: string, reason: string | undefined) {
    const deleted = await this.#files.delete(fileId);
    await this.#audit.record(actor, {
      action: 'file.delete',
      resourceType: 'file',
      resourceId: fileId,
      details: {
        ownerId: deleted.ownerId,
        fileName: deleted.fileName,
        size: deleted.size,
        reason: reason ?? null,
      },
    });
    return { fileId, ...deleted };
  }
}
