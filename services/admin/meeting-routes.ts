import { z } from 'zod';
import { defineRoute } from '../platform/http/routes.ts';
import { schemas } from '../platform/validation.ts';
import { adminActor } from './domain/audit-log.ts';
import type { MeetingModeration } from './domain/meeting-moderation.ts';

const tags = ['admin'];

export const MeetingParams = z.object({ meetingId: schemas.id });
export const EndMeetingBody = z.object({ reason: schemas.text(200).min(1).optional() });
export const EndedMeetingDto = z.object({
  meetingId: z.string(),
  status: z.literal('ended'),
  title: z.string(),
  hostId: z.string(),
  participants: z.number().int().describe('participants in the room when it closed'),
});

/** Meeting moderation (the rtc service owns meetings; this asks it through RtcAdminService). */
export function meetingAdminRoutes(meetings: MeetingModeration) {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/meetings/:meetingId/end',
      summary:
        'Ends a meeting for everyone (audited): its room closes, participants are disconnected, nobody joins again',
      tags,
      access: 'admin',
      permission: 'meetings:write',
      params: MeetingParams,
      body: EndMeetingBody,
      response: EndedMeetingDto,
      handler: ({ admin, params, body, request }) =>
        meetings.end(adminActor(admin, request.ip), params.meetingId, body.reason),
    }),
  ];
}
