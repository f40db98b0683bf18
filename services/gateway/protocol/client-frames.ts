import { z } from 'zod';
import { SESSION_ID_PATTERN } from '../../platform/contracts/index.ts';
import { SelfDestructTimer } from '../../platform/contracts/self-destruct.ts';
import { isIdInRange, SNOWFLAKE_PATTERN } from '../../platform/ids.ts';

/**
 * Frames a client sends (seed §5.4), each `{type, msgId?, timestamp?, data}`. Every frame is
 * validated against these schemas before anything acts on it, whichever encoding carried it; the
 * same schemas generate the AsyncAPI document and are mirrored by proto/anychat/gateway/v1/frames.proto.
 */

const msgIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only')
  .meta({ description: "The client's id of this frame, echoed by the frame that answers it." });
const id = z
  .string()
  .regex(SNOWFLAKE_PATTERN, 'must be a numeric id string')
  .refine(isIdInRange, 'is out of range for an id');
export const syncSeqSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).meta({
  description: "Position in the user's timeline (every event for the user is numbered, 1, 2, 3, …).",
});
export const sessionTypeSchema = z.enum(['single', 'group', 'system']).meta({
  description:
    '`single`: a one-to-one conversation; `group`: a group chat; `system`: my system notices (read-only: a send is refused with 50140).',
});
export const conversationIdSchema = z.string().regex(SESSION_ID_PATTERN).meta({
  description:
    'A conversation: `s_<smaller user id>_<larger user id>` (one-to-one), `g_<group id>`, or `n_<my user id>` (my system notices).',
});

/** What every frame has besides its `type` and `data`. */
const envelope = {
  msgId: msgIdSchema.optional(),
  timestamp: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .meta({ description: "The sender's clock, milliseconds since the epoch." }),
};

export const PingFrame = z.object({ type: z.literal('PING'), ...envelope }).meta({
  title: 'PING',
  description: 'Heartbeat: send one every `heartbeatInterval` seconds; answered by PONG.',
});
export const SendMessageFrame = z
  .object({
    type: z.literal('SEND_MESSAGE'),
    ...envelope,
    msgId: msgIdSchema,
    data: z.object({
      sessionType: sessionTypeSchema,
      targetId: id.meta({ description: 'The user (single) or group (group) written to.' }),
      contentType: z.string().min(1).max(20).meta({
        description:
          '`text`, `image`, `video`, `voice`, `file`, `emoji`, `card`, `location`, `merged` (merged forward) or `quote` (quote reply).',
      }),
      content: z.unknown().meta({
        description:
          'For `text` a bare string (the text itself); for the other types an object, e.g. image `{url, thumbnail, width, height, size}`, file `{url, fileName, fileSize, mimeType}`.',
      }),
      mentions: z.array(id).max(200).optional().meta({ description: 'Group messages: user ids mentioned.' }),
      mentionAll: z.boolean().optional().meta({ description: 'Group messages: @all (owner and admins).' }),
      selfDestruct: SelfDestructTimer.optional(),
    }),
  })
  .meta({
    title: 'SEND_MESSAGE',
    description:
      'Sends a message. `msgId` is the client message id (sending the same one again returns the same message). `content` is a bare string for `text` (`"hello"`), an object for the other types (image `{url, thumbnail, width, height, size}`). With `selfDestruct` `{ttlSeconds, startsOn}` it is a self-destructing message, as POST /api/v1/messages/self-destructing sends. Answered by SEND_ACK or ERROR with the same `msgId`.',
  });
export const MessageAckFrame = z
  .object({
    type: z.literal('MESSAGE_ACK'),
    ...envelope,
    data: z.object({ messageIds: z.array(id).min(1).max(500) }),
  })
  .meta({
    title: 'MESSAGE_ACK',
    description:
      'Acknowledges NEW_MESSAGE frames (by `data.messageId`); unacknowledged ones are resent once after 5 s. Deprecated, accepted until v2 of the protocol: `messageIds` at the top level instead of in `data`.',
  });
export const TypingFrame = z
  .object({
    type: z.literal('TYPING'),
    ...envelope,
    data: z.object({ sessionId: conversationIdSchema, sessionType: sessionTypeSchema }),
  })
  .meta({
    title: 'TYPING',
    description:
      'The user is typing in a one-to-one conversation: the peer gets USER_TYPING if a friend (or anyone where strangers may write); otherwise ERROR 50107.',
  });
export const SyncFrame = z
  .object({ type: z.literal('SYNC'), ...envelope, data: z.object({ syncSeq: syncSeqSchema }) })
  .meta({ title: 'SYNC', description: 'Replays every event after `syncSeq` in order, then SYNC_COMPLETE.' });

export const ClientFrame = z.discriminatedUnion('type', [
  PingFrame,
  SendMessageFrame,
  MessageAckFrame,
  TypingFrame,
  SyncFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const CLIENT_FRAME_TYPES = ['PING', 'SEND_MESSAGE', 'MESSAGE_ACK', 'TYPING', 'SYNC'] as const;

/**
 * Moves what older clients send in deprecated places to where the schema expects it (accepted
 * until v2): MESSAGE_ACK's `messageIds` at the top level.
 */
export function upgradeLegacyClientFrame(frame: unknown): unknown {
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return frame;
  const { type, data, messageIds, ...rest } = frame as Record<string, unknown>;
  if (type === 'MESSAGE_ACK' && data === undefined && messageIds !== undefined)
    return { ...rest, type, data: { messageIds } };
  return frame;
}
