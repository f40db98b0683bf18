import { z } from 'zod';
import { schemas } from '../platform/validation.ts';

export const CallIdParams = z.object({ id: schemas.id });

export const InviteBody = z
  .object({
    userId: schemas.id.optional().describe('one-to-one: the user to call'),
    groupId: schemas.id.optional().describe('group call: the group'),
    userIds: z
      .array(schemas.id)
      .min(1)
      .max(100)
      .optional()
      .describe('group call: the members to ring (all members when absent)'),
    callType: z.enum(['audio', 'video']),
  })
  .refine((body) => Boolean(body.userId) !== Boolean(body.groupId), {
    message: 'give exactly one of userId and groupId',
  })
  .refine((body) => !body.userIds || body.groupId, { message: 'userIds goes with groupId' });

export const RejectBody = z.object({ reason: z.enum(['busy', 'reject']).default('reject') });

export const TokenQuery = z.object({ callId: schemas.id });

export const HistoryQuery = z.object({
  beforeCallId: schemas.id.optional().describe('the last callId of the previous page'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const JoinTicketDto = z.object({
  callId: z.string(),
  roomName: z.string(),
  url: z.string().describe('the LiveKit server to connect to with the token'),
  token: z.string().describe('LiveKit access token for this room only'),
  expiresIn: z.number().int().describe('seconds the token is valid'),
});

export const InviteDto = JoinTicketDto.extend({
  busy: z.array(z.string()).describe('group calls: members who were in another call and were not rung'),
});

export const HangupDto = z.object({ duration: z.number().int().describe('seconds the call lasted') });

const CALL_STATUS = ['ringing', 'connected', 'ended', 'missed', 'rejected', 'cancelled'] as const;
const USER_STATE = ['ringing', 'accepted', 'rejected', 'missed', 'busy', 'cancelled', 'left'] as const;

const CallFields = {
  callId: z.string(),
  callType: z.enum(['audio', 'video']),
  callerId: z.string(),
  calleeId: z.string().nullable(),
  groupId: z.string().nullable(),
  status: z.enum(CALL_STATUS),
  endReason: z.string().nullable(),
  createdAt: z.string(),
  connectedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  duration: z.number().int().describe('seconds from answer to end; 0 for a call never answered'),
};

export const CallDto = z.object({
  ...CallFields,
  participants: z.array(
    z.object({
      userId: z.string(),
      role: z.enum(['caller', 'callee']),
      state: z.enum(USER_STATE),
      inRoom: z.boolean(),
      tracks: z
        .array(z.object({ source: z.string(), muted: z.boolean() }))
        .describe('what the participant publishes now (microphone, camera), as LiveKit has it'),
    }),
  ),
});

export const CallLogDto = z.object({
  items: z.array(
    z.object({
      ...CallFields,
      direction: z.enum(['outgoing', 'incoming']),
      myState: z.enum(USER_STATE).describe('your part: accepted/left (talked), missed, rejected, busy…'),
    }),
  ),
  nextBeforeCallId: z.string().nullable(),
});
