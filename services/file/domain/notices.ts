import { TimelineTopics } from '../../platform/contracts/index.ts';
import { type EventPublisher, plainJson } from '../../platform/events/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Principal } from '../../platform/security/principal.ts';
import type { FileRecord } from './file-store.ts';

/**
 * Seed §4.7's `file.upload_completed` notice, as a NOTIFICATION frame on every device of the
 * uploader (through their sync timeline), so that a device that did not upload learns the file is
 * ready; the uploading device tells it by `originDeviceId`.
 */
export class FileNotices {
  readonly #events: EventPublisher;
  readonly #logger: Logger;

  constructor(events: EventPublisher, logger: Logger) {
    this.#events = events;
    this.#logger = logger;
  }

  async uploadCompleted(principal: Principal, file: FileRecord): Promise<void> {
    await this.#events
      .publish(TimelineTopics.append, {
        eventId: `file-completed-${file.fileId}`,
        recipients: [principal.userId],
        kind: 'file.upload_completed',
        payload: plainJson({
          fileId: file.fileId,
          fileName: file.fileName,
          size: file.fileSize,
          mimeType: file.mimeType,
          type: file.kind,
        }),
        originDevice: { userId: principal.userId, deviceId: principal.deviceId },
      })
      // The file is stored either way; a lost notice only means other devices learn of it on their own.
      .catch((error: unknown) => this.#logger.warn({ err: error, fileId: file.fileId }, 'could not publish'));
  }
}
