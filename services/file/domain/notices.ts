import { TimelineTopics } from '../../platform/contracts/index.ts';
import { type EventPublisher, plainJson } from '../../platform/events/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Principal } from '../../platform/security/principal.ts';
import { uploadedBytes, uploadsCompleted } from '../metrics.ts';
import type { FileRecord } from './file-store.ts';

/** How far an upload has come: its chunks as they arrive, then the processing of its content. */
export type UploadProgress =
  | { stage: 'uploading'; uploadId: string; fileId: string; receivedChunks: number; totalChunks: number }
  | { stage: 'processing'; uploadId: string; fileId: string };

/**
 * Seed §4.7's `file.processing` and `file.upload_completed` notices, as NOTIFICATION frames on
 * every device of the uploader (through their sync timeline), so that a device that did not upload
 * follows the upload and learns the file is ready; the uploading device tells its own by `originDeviceId`.
 */
export class FileNotices {
  readonly #events: EventPublisher;
  readonly #logger: Logger;

  constructor(events: EventPublisher, logger: Logger) {
    this.#events = events;
    this.#logger = logger;
  }

  uploadCompleted(principal: Principal, file: FileRecord): Promise<void> {
    // Every way an upload completes ends here: the one place to count them.
    uploadsCompleted.inc({ kind: file.kind });
    uploadedBytes.inc({ kind: file.kind }, file.fileSize);
    return this.#notify(principal, `file-completed-${file.fileId}`, 'file.upload_completed', {
      fileId: file.fileId,
      fileName: file.fileName,
      size: file.fileSize,
      mimeType: file.mimeType,
      type: file.kind,
    });
  }

  /**
   * `file.processing`: chunks received, at each tenth of the upload (every chunk of a small one),
   * so that a large upload puts at most about ten entries on the timeline; then the processing of
   * an image, voice or video once all its bytes arrived.
   */
  async processing(principal: Principal, progress: UploadProgress): Promise<void> {
    if (progress.stage === 'uploading') {
      const { receivedChunks: received, totalChunks: total } = progress;
      if (Math.floor((received * 10) / total) === Math.floor(((received - 1) * 10) / total)) return;
    }
    const step = progress.stage === 'uploading' ? progress.receivedChunks : 'processing';
    await this.#notify(
      principal,
      `file-processing-${progress.uploadId}-${step}`,
      'file.processing',
      progress,
    );
  }

  async #notify(principal: Principal, eventId: string, kind: string, payload: Record<string, unknown>) {
    await this.#events
      .publish(TimelineTopics.append, {
        eventId,
        recipients: [principal.userId],
        kind,
        payload: plainJson(payload),
        originDevice: { userId: principal.userId, deviceId: principal.deviceId },
      })
      // The file is stored either way; a lost notice only means other devices learn of it on their own.
      .catch((error: unknown) => this.#logger.warn({ err: error, eventId }, 'could not publish'));
  }
}
