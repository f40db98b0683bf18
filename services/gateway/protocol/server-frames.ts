import { z } from 'zod';
import { conversationIdSchema, sessionTypeSchema, syncSeqSchema } from './client-frames.ts';

/**
 * Frames the server sends (seed §5.4), each `{type, msgId?, timestamp?, data}`. They document the
 * protocol (AsyncAPI), define the binary encoding's mapping (frames.proto) and are checked against
 * it by a test; the services that build frames use the loose `ServerFrame` contract type.
 */

const millis = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A position in a conversation's gap-free sequence (seed §5.4 `seq`, `readSeq`). */
const conversationSeq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const id = z.string().meta({ description: 'A 64-bit id as a decimal string.' });
const envelope = {
  msgId: z
    .string()
    .optional()
    .meta({ description: 'The client frame this answers (its `msgId`), or the message (NEW_MESSAGE).' }),
  timestamp: millis.optional().meta({ description: "The server's clock, milliseconds since the epoch." }),
};
const deprecated = (description: string) => ({ deprecated: true, description });
const server = <T extends string, S extends z.ZodRawShape, L extends z.ZodRawShape = Record<never, never>>(
  type: T,
  data: S,
  description: string,
  /** Deprecated top-level fields JSON still sends (until v2). */
  legacy?: L,
) =>
  z
    .object({ type: z.literal(type), ...envelope, data: z.object(data), ...(legacy as L) })
    .meta({ title: type, description });

/**
 * Positions in big groups' streams: a read fan-out group's NEW_MESSAGEs have `syncSeq` 0 and come
 * in the order of the group's `seq`; a device keeps the last one it took per group and names them
 * at connect (`groupSeqs=g_1:40,g_2:7`).
 */
const groupSeqsSchema = z.array(z.object({ sessionId: conversationIdSchema, seq: conversationSeq }));

export const ConnectAckFrame = server(
  'CONNECT_ACK',
  {
    userId: id,
    deviceId: z.string(),
    serverTime: millis,
    heartbeatInterval: z.number().int().meta({ description: 'Seconds between PINGs.' }),
    syncSeq: syncSeqSchema.meta({ description: 'The newest event of the user.' }),
    groupSeqs: groupSeqsSchema
      .optional()
      .meta({ description: "Where this connection starts each of the user's read fan-out groups." }),
  },
  'The connection is accepted.',
);
export const ConnectErrorFrame = server(
  'CONNECT_ERROR',
  {
    status: z.number().int().meta({
      description:
        '401: the token is bad, expired or revoked (code 10104, 10105 or 12; close 4001: sign in again). 503: the server could not set the connection up now (code 6; close 1013: keep the tokens and connect again after `retryAfterMs`).',
    }),
    code: z.number().int().meta({ description: 'Business error code (README, error codes).' }),
    message: z.string(),
    retryAfterMs: millis.optional(),
    reasonCode: z.number().int().optional().meta({
      description: 'The finer sync code when the connect-time sync failed (110103); `code` stays 6.',
    }),
  },
  'The connection is refused and the socket closes. `status` 401: the token is bad, expired or revoked (`code` 10104, 10105 or 12; close 4001): sign in again. `status` 503: the server could not set the connection up now (`code` 6; close 1013): keep the tokens, connect again after `retryAfterMs`.',
  {
    code: z.number().int().optional().meta(deprecated('Deprecated (JSON only, until v2): `data.status`.')),
    message: z.string().optional().meta(deprecated('Deprecated (JSON only, until v2): `data.message`.')),
  },
);
export const PongFrame = z
  .object({ type: z.literal('PONG'), ...envelope })
  .meta({ title: 'PONG', description: 'Answers PING.' });
export const SendAckFrame = server(
  'SEND_ACK',
  {
    messageId: id,
    sessionId: conversationIdSchema,
    seq: conversationSeq,
    syncSeq: syncSeqSchema,
    timestamp: millis,
  },
  "The message of SEND_MESSAGE `msgId` is stored; its `syncSeq` is taken by this device (no NEW_MESSAGE comes back for it). `syncSeq` 0: a big (read fan-out) group's message, whose place is `seq` in the group's stream.",
);
export const NewMessageFrame = server(
  'NEW_MESSAGE',
  {
    messageId: id,
    sessionId: conversationIdSchema,
    sessionType: sessionTypeSchema,
    senderId: id.meta({ description: 'The sender; `0` for system messages (group events).' }),
    senderName: z.string().nullable(),
    senderAvatar: z.string().nullable(),
    targetId: id,
    clientMsgId: z.string(),
    contentType: z.string(),
    content: z.unknown().meta({
      description:
        'For `text` a bare string; an object for the other types; `system` messages `{kind, text, data}`; null once recalled.',
    }),
    mentions: z.array(id),
    recalled: z.boolean(),
    editedAt: millis.optional().meta({ description: 'When the content was last edited; absent if never.' }),
    seq: conversationSeq.meta({ description: 'Position in the conversation.' }),
    timestamp: millis,
    syncSeq: syncSeqSchema.meta({
      description:
        "Position in the user's timeline; 0 for a big (read fan-out) group's message, which comes in the order of `seq` within its group and moves the device's position in that group (`groupSeqs`) instead.",
    }),
  },
  'A message (`msgId` is its `messageId`); `content` as sent (a bare string for `text`), `null` once recalled; group events are `system` messages `{kind, text, data}` from sender `0`, and so are notices to you (new sign-ins, group invitations, announcements) in your system conversation `n_<your user id>` (session type `system`, read-only). Answer MESSAGE_ACK; it is resent once after 5 s otherwise.',
);
export const MessageReadFrame = server(
  'MESSAGE_READ',
  {
    sessionId: conversationIdSchema,
    userId: id,
    messageIds: z.array(id),
    readSeq: conversationSeq,
    syncSeq: syncSeqSchema,
    timestamp: millis,
  },
  'Someone (the peer, or another device of yours) read a one-to-one conversation up to `readSeq`.',
);
export const GroupMessageReadFrame = server(
  'GROUP_MESSAGE_READ',
  {
    sessionId: conversationIdSchema,
    groupId: id,
    userId: id,
    messageId: id,
    readCount: z.number().int(),
    syncSeq: syncSeqSchema,
    timestamp: millis,
  },
  'A member read your group message `messageId`; `readCount` members have read it.',
);
export const MessageRecalledFrame = server(
  'MESSAGE_RECALLED',
  {
    messageId: id,
    sessionId: conversationIdSchema,
    seq: conversationSeq,
    recalledBy: id,
    byAdministrator: z.boolean().optional(),
    syncSeq: syncSeqSchema,
    timestamp: millis,
  },
  'A message was recalled (by its sender, a group admin or an administrator).',
);
export const MessageEditedFrame = server(
  'MESSAGE_EDITED',
  {
    messageId: id,
    sessionId: conversationIdSchema,
    seq: conversationSeq,
    editedBy: id,
    contentType: z.string(),
    content: z.unknown().meta({ description: 'The current content; null once recalled.' }),
    version: z.number().int().meta({ description: 'Edits so far (1 after the first edit).' }),
    editedAt: millis,
    syncSeq: syncSeqSchema,
    timestamp: millis,
  },
  'A message was edited by its sender; `content` is its current content (older versions: `GET /api/v1/messages/{id}/edits`).',
);
export const MessageReactionFrame = server(
  'MESSAGE_REACTION',
  {
    messageId: id,
    sessionId: conversationIdSchema,
    userId: id,
    emoji: z.string(),
    added: z.boolean(),
    count: z.number().int().meta({ description: 'Users who reacted with this emoji now.' }),
    syncSeq: syncSeqSchema,
    timestamp: millis,
  },
  'A participant (or another device of yours) added or removed an emoji reaction.',
);
export const MessagePinnedFrame = server(
  'MESSAGE_PINNED',
  {
    messageId: id,
    sessionId: conversationIdSchema,
    pinned: z.boolean(),
    by: id,
    syncSeq: syncSeqSchema,
    timestamp: millis,
  },
  'A message was pinned in its conversation (`pinned` false: unpinned).',
);
export const ThreadUpdatedFrame = server(
  'THREAD_UPDATED',
  {
    rootMessageId: id,
    sessionId: conversationIdSchema,
    messageId: id.optional().meta({ description: 'The new reply; absent when you read the thread.' }),
    replyCount: z.number().int(),
    unreadCount: z.number().int().meta({ description: 'Replies of the thread you have not read.' }),
    syncSeq: syncSeqSchema,
    timestamp: millis,
  },
  "A thread got a reply (the reply itself comes as NEW_MESSAGE), or you read it on a device; `unreadCount` is the thread's own unread count.",
);
export const MessageDestroyedFrame = server(
  'MESSAGE_DESTROYED',
  {
    messageId: id,
    sessionId: conversationIdSchema,
    seq: conversationSeq,
    syncSeq: syncSeqSchema,
    timestamp: millis,
  },
  'A self-destructing message reached the end of its time and was removed from the server: remove it from this device too (its replay is null from now on).',
);
export const DraftUpdatedFrame = server(
  'DRAFT_UPDATED',
  {
    sessionId: conversationIdSchema,
    text: z.string().nullable().meta({ description: 'The draft; null once cleared.' }),
    quoteMessageId: id.nullable(),
    updatedAt: millis,
    originDeviceId: z.string().optional().meta({ description: 'The device that changed the draft.' }),
    syncSeq: syncSeqSchema,
    timestamp: millis,
  },
  'Your draft of a conversation changed on one of your devices (each device of yours gets it, the one that made the change included).',
);
export const NotificationFrame = server(
  'NOTIFICATION',
  {
    syncSeq: syncSeqSchema,
    kind: z.string().meta({ description: 'e.g. `friend.request`, `group.invited`, `session.updated`.' }),
    payload: z.record(z.string(), z.unknown()),
    timestamp: millis,
    originDeviceId: z
      .string()
      .optional()
      .meta({ description: 'The device that made the change, when one did.' }),
  },
  'Friend, group and conversation events.',
);
export const SyncCompleteFrame = server(
  'SYNC_COMPLETE',
  {
    syncSeq: syncSeqSchema.meta({ description: 'Where the replay ended.' }),
    groupSeqs: groupSeqsSchema
      .optional()
      .meta({ description: 'Where the replay of each read fan-out group ended.' }),
  },
  'The replay asked for by SYNC (or a connect with `syncSeq`) is done.',
);
export const UserTypingFrame = server(
  'USER_TYPING',
  {
    userId: id,
    sessionId: conversationIdSchema,
    timestamp: millis,
    expiresIn: z.number().int().meta({ description: 'Seconds the indicator lasts without another TYPING.' }),
  },
  'The other side of a conversation is typing.',
);
export const UserOnlineFrame = server(
  'USER_ONLINE',
  { userId: id, timestamp: millis, platform: z.string() },
  "A friend's first device connected.",
);
export const UserOfflineFrame = server(
  'USER_OFFLINE',
  { userId: id, timestamp: millis },
  "A friend's last device left.",
);
export const ForceLogoutFrame = server(
  'FORCE_LOGOUT',
  {
    reason: z.string().meta({
      description:
        '`multi_login`, `kicked`, `account_banned`, `logout`, `password_changed`, `security`, `admin_kick`, `account_deleted` or `session_revoked`.',
    }),
    message: z.string(),
    timestamp: millis,
    authSessionId: z.string().optional().meta({ description: 'The login session that ended.' }),
    sessionId: z
      .string()
      .optional()
      .meta(deprecated('Deprecated (JSON only, until v2): `authSessionId`, the login session.')),
  },
  'The login session ended (`reason` e.g. `multi_login`, `kicked`, `account_banned`, `password_changed`, `admin_kick`); the socket closes with 4003. Sign in again.',
);
export const ReconnectFrame = server(
  'RECONNECT',
  { reason: z.string(), reconnectAfterMs: millis },
  'The server is shutting down (close 1001): connect again after `reconnectAfterMs`.',
);
export const ErrorFrame = server(
  'ERROR',
  {
    code: z.number().int().meta({ description: 'Business error code (README, error codes).' }),
    message: z.string(),
    reasonCode: z.number().int().optional().meta({
      description:
        'The finer gateway (09xxxx) or sync (11xxxx) code beside `code`, when one applies: 90103 malformed frame (`code` 1), 110103 a SYNC whose replay failed.',
    }),
  },
  'A frame was refused: bad frame or field (`code` 1, `reasonCode` 90103), too large (14), over the frame rate (9), or a business error of the request (e.g. 50107 not a friend); `msgId` names the frame when it had one. The socket stays open.',
  {
    code: z.number().int().optional().meta(deprecated('Deprecated (JSON only, until v2): `data.code`.')),
    message: z.string().optional().meta(deprecated('Deprecated (JSON only, until v2): `data.message`.')),
  },
);

export const ServerFrameSchema = z.discriminatedUnion('type', [
  ConnectAckFrame,
  ConnectErrorFrame,
  PongFrame,
  SendAckFrame,
  NewMessageFrame,
  MessageReadFrame,
  GroupMessageReadFrame,
  MessageRecalledFrame,
  NotificationFrame,
  SyncCompleteFrame,
  UserTypingFrame,
  UserOnlineFrame,
  UserOfflineFrame,
  ForceLogoutFrame,
  ReconnectFrame,
  ErrorFrame,
  MessageEditedFrame,
  MessageReactionFrame,
  MessagePinnedFrame,
  ThreadUpdatedFrame,
  MessageDestroyedFrame,
  DraftUpdatedFrame,
]);

export const SERVER_FRAME_TYPES = ServerFrameSchema.options.map((option) => option.shape.type.value);

/** Why a token was refused, as FORCE_LOGOUT reasons (seed §5.4.5). */
export const LOGOUT_REASONS: Record<string, string> = {
  replaced: 'multi_login',
  kicked: 'kicked',
  account_blocked: 'account_banned',
  logout: 'logout',
  password_changed: 'password_changed',
  password_reset: 'password_changed',
  token_reuse: 'security',
  admin_kick: 'admin_kick',
  account_deleted: 'account_deleted',
};
