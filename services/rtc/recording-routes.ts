import type { Context } from 'koa';
import { z } from 'zod';
import type { RequestState } from '../platform/http/context.ts';
import { defineRoute } from '../platform/http/routes.ts';
import type { StateStore } from '../platform/ports/index.ts';
import { sharedRateLimit } from '../platform/security/index.ts';
import { schemas } from '../platform/validation.ts';
import type { RecordingRow, Recordings } from './domain/index.ts';

const tags = ['rtc'];
const Params = z.object({ id: schemas.id });

const RecordingDto = z.object({
  recordingId: z.string(),
  meetingId: z.string(),
  status: z
    .enum(['starting', 'active', 'stopping', 'done', 'failed'])
    .describe(
      'starting: LiveKit has not confirmed the egress yet; done: the file is kept (fileId); failed: no file (error, errorCode)',
    ),
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
  errorCode: z
    .number()
    .int()
    .nullable()
    .describe(
      'why it failed, when known: 100114 no recorder took the start, 100110 LiveKit unreachable, 100117 the host storage could not keep it',
    ),
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
  errorCode: r.error_code,
});

/**
 * Meeting recording through LiveKit Egress: 100113 when the server has no Egress (or no S3 store
 * for its files), 100114 when LiveKit has no Egress worker for the job, 100117 when the host's
 * storage is full.
 */
export function recordingRoutes(recordings: Recordings, limits: StateStore, rateLimitFactor: number) {
  // Each start may take an Egress worker (a Chrome and an encoder) for the whole meeting: counted
  // across replicas, per meeting and per host over all their meetings.
  const userOf = (ctx: Context) => (ctx.state as RequestState).principal?.userId ?? ctx.ip;
  const perMinute = (limit: number) => ({
    limit: Math.max(1, Math.round(limit * rateLimitFactor)),
    windowMs: 60_000,
  });
  const startLimits = [
    sharedRateLimit(limits, 'recording-start', {
      ...perMinute(5),
      // The id as given (validated after): bounded, so that no key grows with the path.
      key: (ctx) => `${userOf(ctx)}:${String(ctx.params.id).slice(0, 20)}`,
    }),
    sharedRateLimit(limits, 'recording-start-user', { ...perMinute(20), key: userOf }),
  ];
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/meetings/:id/recording/start',
      summary:
        'Host: start recording the meeting (one at a time); active, or starting while LiveKit has not confirmed it',
      tags,
      access: 'user',
      middleware: startLimits,
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
