import { Counter } from 'prom-client';
import { FILE_KINDS } from './domain/kinds.ts';

/** Completed uploads and their bytes, by file kind (avatar, chat_image, chat_video, …: a bounded set). */
export const uploadsCompleted = new Counter({
  name: 'anychat_file_uploads_completed_total',
  help: 'Uploads completed (simple, chunked and instant), by file kind',
  labelNames: ['kind'] as const,
  registers: [],
});

export const uploadedBytes = new Counter({
  name: 'anychat_file_uploaded_bytes_total',
  help: 'Bytes of completed uploads, by file kind',
  labelNames: ['kind'] as const,
  registers: [],
});

// Every kind starts at zero: a kind nobody uploaded yet reads as 0, not as no series.
for (const kind of FILE_KINDS) {
  uploadsCompleted.inc({ kind }, 0);
  uploadedBytes.inc({ kind }, 0);
}

export const fileMetrics = [uploadsCompleted, uploadedBytes];
