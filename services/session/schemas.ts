import { z } from 'zod';
import { SESSION_ID_PATTERN } from '../platform/contracts/index.ts';
import { schemas } from '../platform/validation.ts';

const INT64_MAX = 9_223_372_036_854_775_807n;
const isInt64 = (digits: string) => /^[0-9]{1,19}$/.test(digits) && BigInt(digits) <= INT64_MAX;
/** A snowflake id: a decimal string within PostgreSQL's bigint. */
const id = schemas.id.refine(isInt64, 'must be a 64-bit id');
const sessionId = z
  .string()
  .regex(SESSION_ID_PATTERN, 'must be a conversation id (s_<id>_<id>, g_<id> or n_<id>)')
  .refine((value) => value.slice(2).split('_').every(isInt64), 'must be made of 64-bit ids');

export const SessionIdParams = z.object({ id: sessionId });

const LATEST_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Milliseconds since the epoch or an ISO 8601 time, as returned in `updateTime`. */
const time = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const date = /^[0-9]{1,15}$/.test(value)
      ? new Date(Number(value))
      : /^\d{4}-\d{2}-\d{2}T/.test(value)
        ? new Date(value)
        : new Date(Number.NaN);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'must be milliseconds since the epoch or an ISO 8601 time' });
      return z.NEVER;
    }
    if (date.getTime() > LATEST_TIME) {
      ctx.addIssue({ code: 'custom', message: 'must not be after the year 9999' });
      return z.NEVER;
    }
    return date;
  });

export const ListQuery = z.object({
  lastUpdateTime: time
    .optional()
    .describe(
      'Incremental sync: every conversation changed after this time, deleted ones included (paging does not apply)',
    ),
  page: schemas.page,
  pageSize: schemas.pageSize,
});

export const CreateSessionBody = z.object({
  sessionType: z
    .enum(['single', 'group'])
    .describe('Only single conversations are opened by hand; group ones appear with the group'),
  targetId: id.describe('The peer user'),
});

const alias = (name: string) => z.boolean().optional().describe(`alias of ${name} (the seed API's name)`);
const oneOf = (a: unknown, b: unknown) => (a === undefined) !== (b === undefined);

export const PinBody = z
  .object({ isPinned: z.boolean().optional(), pinned: alias('isPinned') })
  .refine((body) => oneOf(body.isPinned, body.pinned), {
    message: 'give isPinned or its alias pinned (one of them)',
    path: ['isPinned'],
  })
  .transform((body) => ({ isPinned: body.isPinned ?? body.pinned ?? false }));
export const MuteBody = z
  .object({ isMuted: z.boolean().optional(), muted: alias('isMuted') })
  .refine((body) => oneOf(body.isMuted, body.muted), {
    message: 'give isMuted or its alias muted (one of them)',
    path: ['isMuted'],
  })
  .transform((body) => ({ isMuted: body.isMuted ?? body.muted ?? false }));

export const LastMessageDto = z.object({
  messageId: z.string(),
  senderId: z.string(),
  contentType: z.string(),
  /** Short text for the list; `[recalled]` once recalled. */
  preview: z.string(),
  seq: z.number().int(),
  timestamp: z.string(),
  recalled: z.boolean(),
});

export const SessionDto = z.object({
  sessionId: z.string(),
  sessionType: z
    .enum(['single', 'group', 'system'])
    .describe('`system`: my system notices (`n_<my user id>`; read-only, targetId `0`)'),
  targetId: z.string(),
  name: z
    .string()
    .nullable()
    .describe("The peer's nickname (single), the group's name (group); null for system"),
  avatar: z.string().nullable(),
  lastMessage: LastMessageDto.nullable(),
  unreadCount: z.number().int(),
  mentionUnread: z.number().int().describe('Unread messages that mention me (or everyone)'),
  readSeq: z.number().int(),
  isPinned: z.boolean(),
  isMuted: z.boolean(),
  deleted: z.boolean().describe('Only in incremental sync: the conversation was removed from the list'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SessionDto = z.infer<typeof SessionDto>;

export const SessionListDto = z.object({
  total: z.number().int(),
  sessions: z.array(SessionDto),
  updateTime: z.string().describe('Pass as lastUpdateTime next time'),
});

export const UnreadDto = z.object({
  total: z.number().int().describe('Unread messages over all conversations that are not muted'),
  sessions: z.number().int().describe('Conversations (not muted) with unread messages'),
  mentionUnread: z.number().int().describe('Unread messages that mention me, muted conversations included'),
});

// Events and internal calls: validated like any outside input.
export const SettingsInput = z.object({
  userId: id,
  sessionIds: z.array(sessionId).max(1000),
});
