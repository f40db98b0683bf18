import { z } from 'zod';
import { defineRoute } from '../platform/http/routes.ts';
import { schemas } from '../platform/validation.ts';
import type { RecordingRow, Recordings } from './domain/index.ts';

const tags = ['rtc'];
const Params = z.object({ id: schemas.id });

const RecordingDto = z.object({
  recordingId: z.string(),
  meetingId: z.string(),
  status: z
    .enum(['starting', 'active', 'stopping', 'done', 'failed'])
    .describe('done: the file is kept (fileId); failed: the egress ended without one (error)'),
  startedBy: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  size: z.number().int().nullable().describe('bytes of the file'),
  fileId: z
    .string()
    .nullable()
    .describe('once done: a file of the file service (GET /api/v1/files/{fileId} downloads it)'),
  error: z.string().nullable(),
});

const recordingDto = (r: RecordingRow): z.infer<typeof RecordingDto> => ({
  recordingId: r.recording_id,
  meetingId: r.meeting_id,
  status: r.status,
  startedBy: r.started_by,
  startedAt: new Date(r.started_at).toISOString(),
  endedAt: r.ended_at ? new Date(r.ended_at).toISOString() : null,
  durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
  size: r.size === null ? null : Number(r.size),
  fileId: r.status === 'done' ? r.file_id : null,
  error: r.error,
});

/**
 * Meeting recording through LiveKit Egress: 100113 when the server has no Egress (or no S3 store
 * for its files), 100114 when LiveKit has no Egress worker for the job.
 */
export function recordingRoutes(recordings: Recordings) {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/meetings/:id/recording/start',
      summary: 'Host: start recording the meeting (one recording at a time)',
      tags,
      access: 'user',
      params: Params,
      response: RecordingDto,
      handler: async ({ params, principal }) => recordingDto(await recordings.start(principal, params.id)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/meetings/:id/recording/stop',
      summary: 'Host: stop the recording; its file is kept once LiveKit has finished it',
      tags,
      access: 'user',
      params: Params,
      response: RecordingDto,
      handler: async ({ params, principal }) => recordingDto(await recordings.stop(principal, params.id)),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/meetings/:id/recordings',
      summary: "The meeting's recordings, newest first, each with its file once done (members only)",
      tags,
      access: 'user',
      params: Params,
      response: z.object({ items: z.array(RecordingDto) }),
      handler: async ({ params, principal }) => ({
        items: (await recordings.list(principal, params.id)).map(recordingDto),
      }),
    }),
  ];
}
