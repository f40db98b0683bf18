import { z } from 'zod';
import type { RequestState } from '../platform/http/context.ts';
import { defineRoute } from '../platform/http/routes.ts';
import { type Principal, rateLimit } from '../platform/security/index.ts';
import { schemas } from '../platform/validation.ts';
import type { JoinTicket, MeetingRow, Meetings } from './domain/index.ts';

const tags = ['rtc'];
const Params = z.object({ id: schemas.id });
const UserBody = z.object({ userId: schemas.id });

const CreateBody = z.object({
  title: schemas.text(200).min(1),
  startTime: z.iso.datetime().optional().describe('a scheduled meeting; now when absent'),
  duration: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional()
    .describe('expected minutes (informative)'),
  password: z.string().min(4).max(50).optional(),
  maxParticipants: z.number().int().min(2).max(1000).default(100),
  settings: z
    .object({
      muteOnJoin: z.boolean().default(false),
      allowUnmute: z.boolean().default(true),
      allowVideo: z.boolean().default(true),
      hostOnlyScreenShare: z.boolean().default(false),
      hostOnlyInvite: z.boolean().default(false),
    })
    .prefault({}),
});

const SettingsDto = z.object({
  muteOnJoin: z.boolean(),
  allowUnmute: z.boolean(),
  allowVideo: z.boolean(),
  hostOnlyScreenShare: z.boolean(),
  hostOnlyInvite: z.boolean(),
});
const MeetingDto = z.object({
  meetingId: z.string(),
  title: z.string(),
  roomName: z.string(),
  ownerId: z.string(),
  hostId: z.string(),
  hasPassword: z.boolean(),
  maxParticipants: z.number().int(),
  settings: SettingsDto,
  status: z.enum(['scheduled', 'active', 'ended']),
  startTime: z.string().nullable(),
  endTime: z.string().nullable(),
});
const TicketDto = z.object({
  meetingId: z.string(),
  roomName: z.string(),
  url: z.string(),
  token: z.string(),
  expiresIn: z.number().int(),
  muteOnJoin: z.boolean().describe('join with the microphone off'),
});
const ParticipantsDto = z.object({
  hostId: z.string(),
  participants: z.array(
    z.object({ userId: z.string(), tracks: z.array(z.object({ source: z.string(), muted: z.boolean() })) }),
  ),
});

const iso = (date: string | null) => (date ? new Date(date).toISOString() : null);
const meetingDto = (m: MeetingRow): z.infer<typeof MeetingDto> => ({
  meetingId: m.meeting_id,
  title: m.title,
  roomName: m.room_name,
  ownerId: m.owner_id,
  hostId: m.host_id,
  hasPassword: m.password_hash !== null,
  maxParticipants: m.max_participants,
  settings: m.settings,
  status: m.status,
  startTime: iso(m.start_time),
  endTime: iso(m.end_time),
});

/** Meetings (seed §4.10, §5.1.8). Without LiveKit configured every route answers 100111. */
export function meetingRoutes(meetings: Meetings, rateLimitFactor: number) {
  // Passwords are guessed by joining: a few tries a minute per user.
  const joinLimit = rateLimit('meeting-join', {
    limit: Math.max(1, Math.round(10 * rateLimitFactor)),
    windowMs: 60_000,
    key: (ctx) => `user:${(ctx.state as RequestState).principal?.userId ?? ctx.ip}`,
  });
  const ticket = async (meetingId: string, t: Promise<JoinTicket>) => {
    const { callId: _, ...rest } = await t;
    const meeting = await meetings.get(meetingId);
    return { meetingId, ...rest, muteOnJoin: meeting.settings.muteOnJoin };
  };
  /** A host action on one participant: POST /meetings/{id}/<action> {userId}. */
  const onParticipant = (
    action: string,
    summary: string,
    act: (principal: Principal, meetingId: string, userId: string) => Promise<void>,
  ) =>
    defineRoute({
      method: 'post',
      path: `/api/v1/meetings/:id/${action}`,
      summary,
      tags,
      access: 'user',
      params: Params,
      body: UserBody,
      response: z.null(),
      handler: async ({ params, body, principal }) => {
        await act(principal, params.id, body.userId);
        return null;
      },
    });
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/meetings',
      summary: 'Create a meeting, now or scheduled; I am its host',
      tags,
      access: 'user',
      body: CreateBody,
      response: MeetingDto,
      handler: async ({ body, principal }) =>
        meetingDto(
          await meetings.create(principal, {
            title: body.title,
            startTime: body.startTime ? new Date(body.startTime) : undefined,
            password: body.password,
            maxParticipants: body.maxParticipants,
            settings: body.settings,
          }),
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/meetings/:id',
      summary: 'A meeting',
      tags,
      access: 'user',
      params: Params,
      response: MeetingDto,
      handler: async ({ params }) => meetingDto(await meetings.get(params.id)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/meetings/:id/join',
      summary: 'Join a meeting (with its password): a token whose grants follow the meeting settings',
      tags,
      access: 'user',
      middleware: [joinLimit],
      params: Params,
      body: z.object({ password: z.string().max(50).optional() }),
      response: TicketDto,
      handler: ({ params, body, principal }) =>
        ticket(params.id, meetings.join(principal, params.id, body.password)),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/meetings/:id/token',
      summary: 'A fresh token for a meeting I joined',
      tags,
      access: 'user',
      params: Params,
      response: TicketDto,
      handler: ({ params, principal }) => ticket(params.id, meetings.token(principal, params.id)),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/meetings/:id/participants',
      summary: 'Who is in the meeting now, with their tracks',
      tags,
      access: 'user',
      params: Params,
      response: ParticipantsDto,
      handler: async ({ params, principal }) => {
        const { meeting, live } = await meetings.participants(principal, params.id);
        return {
          hostId: meeting.host_id,
          participants: live.map((p) => ({ userId: p.identity, tracks: p.tracks })),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/meetings/:id/mute',
      summary: 'Host: mute one participant (userId) or everyone else',
      tags,
      access: 'user',
      params: Params,
      body: z.object({ userId: schemas.id.optional() }),
      response: z.object({ muted: z.number().int().describe('microphone tracks muted') }),
      handler: async ({ params, body, principal }) => ({
        muted: await meetings.mute(principal, params.id, body.userId),
      }),
    }),
    onParticipant('remove', 'Host: remove a participant (they cannot join again)', (p, id, userId) =>
      meetings.remove(p, id, userId),
    ),
    onParticipant('host', 'Host: hand the host role over to a participant', (p, id, userId) =>
      meetings.handOver(p, id, userId),
    ),
    defineRoute({
      method: 'post',
      path: '/api/v1/meetings/:id/end',
      summary: 'Host: end the meeting for everyone',
      tags,
      access: 'user',
      params: Params,
      response: z.null(),
      handler: async ({ params, principal }) => {
        await meetings.end(principal, params.id);
        return null;
      },
    }),
  ];
}
