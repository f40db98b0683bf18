import { z } from 'zod';
import { MAX_GROUP_SEQS, parseGroupSeqs, SESSION_ID_PATTERN } from '../platform/contracts/index.ts';
import { schemas } from '../platform/validation.ts';
import { CONTENT_TYPES } from './domain/content.ts';

export const sessionId = z
  .string()
  .regex(SESSION_ID_PATTERN, 'must be a conversation id (s_<id>_<id>, g_<id> or n_<id>)');
export const clientMsgId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');
const seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const time = z
  .union([z.coerce.number().int().min(0), z.iso.datetime()])
  .transform((v) => new Date(v))
  .pipe(schemas.storableDate);

/** SEND_MESSAGE data and the REST send body (with clientMsgId). */
export const SendFields = z.object({
  // `system` is named so that a send to the system conversation is refused as such (50140).
  sessionType: z.enum(['single', 'group', 'system']),
  targetId: schemas.id,
  // Checked against the content types by the domain, which answers 50112 for an unknown one.
  contentType: schemas.text(20).min(1),
  content: z.unknown(),
  mentions: z.array(schemas.id).max(200).optional().describe('group messages: members to mention'),
  mentionAll: z.boolean().optional().describe('group messages: @all (owner and admins only)'),
});
export const SendBody = SendFields.extend({ clientMsgId });

export const SendAckDto = z.object({
  messageId: z.string(),
  sessionId: z.string(),
  seq: z.number().int(),
  syncSeq: z.number().int(),
  timestamp: z.number().int(),
});

export const MessageDto = z.object({
  messageId: z.string(),
  sessionId: z.string(),
  sessionType: z.string(),
  senderId: z.string(),
  senderName: z.string().nullable(),
  senderAvatar: z.string().nullable(),
  targetId: z.string(),
  clientMsgId: z.string(),
  contentType: z.enum([...CONTENT_TYPES, 'system']),
  content: z
    .unknown()
    .describe('by contentType ({kind, text, data} for system messages); null once recalled'),
  mentions: z.array(z.string()),
  recalled: z.boolean(),
  editedAt: z.number().int().optional().describe('when the content was last edited; absent if never'),
  seq: z.number().int(),
  timestamp: z.number().int(),
});

export const OfflineQuery = z.object({
  lastSeq: seq.default(0).describe('the last syncSeq the client has'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  groupSeqs: z
    .string()
    .max(MAX_GROUP_SEQS * 36)
    .default('')
    .transform((text, ctx) => {
      const seqs = parseGroupSeqs(text);
      if (!seqs)
        ctx.addIssue({
          code: 'custom',
          message: `a comma list of g_<groupId>:<seq>, at most ${MAX_GROUP_SEQS}`,
        });
      return seqs ?? new Map<string, number>();
    })
    .describe(
      'big (read fan-out) groups: the seq of the last message the client has of each, as g_<groupId>:<seq>,… (a group left out: from the start of the membership)',
    ),
});
const OfflineGroupDto = z.object({
  sessionId: z.string(),
  messages: z.array(MessageDto.extend({ syncSeq: z.number().int() })).describe('in seq order; syncSeq 0'),
  groupSeq: z.number().int().describe("the position to give as this group's seq next time"),
  hasMore: z.boolean(),
});
export const OfflineDto = z.object({
  messages: z.array(MessageDto.extend({ syncSeq: z.number().int() })),
  events: z
    .array(z.object({ syncSeq: z.number().int(), type: z.string(), data: z.unknown() }))
    .describe('every timeline event in order: NEW_MESSAGE, MESSAGE_RECALLED, MESSAGE_READ, NOTIFICATION'),
  hasMore: z.boolean(),
  nextSeq: z.number().int(),
  groups: z
    .array(OfflineGroupDto)
    .describe('big (read fan-out) groups whose messages moved past the position given in groupSeqs'),
});

export const HistoryQuery = z.object({
  sessionId,
  sessionType: z.enum(['single', 'group', 'system']).optional(),
  startSeq: seq.optional().describe('exclusive; omitted: from the newest (backward) or oldest (forward)'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  direction: z.enum(['forward', 'backward']).default('backward'),
});
export const HistoryDto = z.object({
  messages: z.array(MessageDto.extend({ status: z.enum(['sent', 'delivered', 'read']).nullable() })),
  hasMore: z.boolean(),
});

export const ReadBody = z.object({
  sessionId,
  sessionType: z.enum(['single', 'group', 'system']).optional(),
  messageIds: z.array(schemas.id).max(500).optional().describe('omitted: the whole conversation'),
});

export const ClearBody = z.object({ sessionId });
export const MessageIdParams = z.object({ id: schemas.id });

export const SearchQuery = z
  .object({
    keyword: schemas.text(100).min(1).optional(),
    sessionId: sessionId.optional(),
    senderId: schemas.id.optional(),
    contentType: z.enum(CONTENT_TYPES).optional(),
    startTime: time.optional(),
    endTime: time.optional(),
    sort: z
      .enum(['relevance', 'time'])
      .default('relevance')
      .describe('with a keyword: best match first (the default), or newest first'),
    page: schemas.page,
    pageSize: schemas.pageSize,
  })
  .refine(
    (q) => q.keyword || q.sessionId || q.senderId || q.contentType || q.startTime || q.endTime,
    'give at least one of keyword, sessionId, senderId, contentType, startTime, endTime',
  );
export const SearchDto = z.object({
  total: z.number().int().describe('matches (with a keyword: at most 1000, see `more`)'),
  more: z.boolean().describe('more than 1000 matched: only the newest 1000 were ranked'),
  mode: z
    .enum(['index', 'recent', 'filter'])
    .describe(
      'index: the whole history through the index; recent: a keyword of only one- or two-character terms, looked for in the newest 5000 messages of mine (or of the conversation); filter: no keyword',
    ),
  messages: z.array(
    MessageDto.extend({
      highlight: z
        .object({
          text: z.string().describe('the part of the message around the first match'),
          ranges: z
            .array(z.tuple([z.number().int(), z.number().int()]))
            .describe('[start, end) in text, UTF-16'),
        })
        .nullable(),
    }),
  ),
});

export const GroupReadsParams = z.object({ msgId: schemas.id });
export const GroupReadsQuery = z.object({ groupId: schemas.id });
export const GroupReadsDto = z.object({
  readCount: z.number().int(),
  unreadCount: z.number().int(),
  readMembers: z.array(z.object({ userId: z.string(), nickname: z.string().nullable(), readAt: z.string() })),
});
