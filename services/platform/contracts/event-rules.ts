import { z } from 'zod';
import { isIdInRange } from '../ids.ts';
import { schemas } from '../validation.ts';
import { GROUP_MEMBERS_CEILING } from './group.ts';
import { SESSION_ID_PATTERN, SYSTEM_MESSAGE_TEXT_MAX, SYSTEM_SENDER } from './message.ts';

/**
 * What the events' proto messages cannot say: id formats, lengths and counts. Each schema reads
 * the canonical proto3 JSON of its topic's message (int64 as decimal strings, timestamps in RFC
 * 3339, implicit fields written out, unset optional fields absent); a subscriber drops an event
 * that breaks them as malformed. test/unit/event-contracts.test.ts proves each one agrees with its
 * message: same field names, and a full valid message passes.
 */

const id = schemas.id;
const sessionId = z
  .string()
  .regex(SESSION_ID_PATTERN, 'must be a conversation id (s_<id>_<id>, g_<id> or n_<id>)')
  .refine((value) => value.slice(2).split('_').every(isIdInRange), 'must be made of 64-bit ids');
/** An int64 in proto3 JSON (a decimal string) between `min` and Number.MAX_SAFE_INTEGER. */
const int64 = (min: number) =>
  z
    .string()
    .regex(/^-?[0-9]+$/)
    .refine((value) => {
      const n = BigInt(value);
      return n >= BigInt(min) && n <= BigInt(Number.MAX_SAFE_INTEGER);
    }, `must be an integer from ${min} to ${Number.MAX_SAFE_INTEGER}`);
const instant = z.iso.datetime({ offset: true });
const recipients = z.array(id).min(1).max(GROUP_MEMBERS_CEILING);
const jsonObject = z.record(z.string(), z.unknown());

export const EventRules = {
  userRegistered: z.object({
    userId: id,
    account: z.string().min(1).max(32),
    phoneNumber: z.string().max(20).optional(),
    email: z.string().max(100).optional(),
    nickname: z.string().max(32).optional(),
    registeredAt: instant,
  }),
  sessionRevoked: z.object({ userId: id, sessionId: z.string().min(1), deviceId: z.string().min(1) }),
  deviceLeft: z.object({
    userId: id,
    deviceId: z.string().min(1).max(128),
    afterSyncSeq: int64(0),
    leftAt: instant,
  }),
  accountStatusChanged: z.object({ userId: id }),
  loginRecorded: z.object({ userId: id.optional(), at: instant }),
  profileUpdated: z.object({
    userId: id,
    changed: z.array(z.string()),
    profile: z.object({
      nickname: z.string(),
      avatar: z.string().optional(),
      signature: z.string().optional(),
    }),
  }),
  groupChanged: z.object({ groupId: id }),
  pushTokenChanged: z.object({
    userId: id,
    deviceId: z.string().min(1).max(100),
    pushToken: z.string().max(2048),
    provider: z.string().max(32),
    language: z.string().max(16),
    version: int64(0),
  }),
  messageCreated: z.object({
    messageId: id,
    sessionId,
    sessionType: z.enum(['single', 'group', 'system']),
    senderId: z.union([id, z.literal(SYSTEM_SENDER)]),
    participants: z.array(id).min(1).max(GROUP_MEMBERS_CEILING),
    seq: int64(1),
    contentType: z.string().min(1).max(32),
    preview: z.string().max(100_000),
    mentions: z.array(id).max(GROUP_MEMBERS_CEILING),
    mentionAll: z.boolean(),
    createdAt: instant,
  }),
  messageRead: z.object({ userId: id, sessionId, readSeq: int64(0) }),
  messageRecalled: z.object({
    messageId: id,
    sessionId,
    participants: z.array(id).min(1).max(GROUP_MEMBERS_CEILING),
    seq: int64(1),
    recalledAt: instant,
  }),
  messageCleared: z.object({ userId: id, sessionId, clearedSeq: int64(0) }),
  messageEdited: z.object({
    messageId: id,
    sessionId,
    participants: z.array(id).min(1).max(GROUP_MEMBERS_CEILING),
    seq: int64(1),
    version: z.number().int().min(1),
    preview: z.string().max(100_000),
    editedAt: instant,
  }),
  messageReacted: z.object({
    messageId: id,
    sessionId,
    sessionType: z.enum(['single', 'group']),
    targetId: id,
    authorId: id,
    userId: id,
    emoji: z.string().min(1).max(64),
    seq: int64(1),
    preview: z.string().max(100_000),
    reactedAt: instant,
  }),
  systemMessageRequested: z.object({
    eventId: z.string().min(1).max(64),
    groupId: id,
    recipients,
    kind: z.string().min(1).max(64),
    text: z.string().max(SYSTEM_MESSAGE_TEXT_MAX),
    data: jsonObject.optional(),
  }),
  timelineAppendRequested: z.object({
    eventId: z.string().min(1).max(200),
    // Group notices go to every member of the largest group allowed.
    recipients,
    kind: z.string().min(1).max(64),
    payload: jsonObject.optional(),
    originDevice: z.object({ userId: id, deviceId: z.string().max(128) }).optional(),
  }),
};
