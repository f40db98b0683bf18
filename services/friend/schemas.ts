import { z } from 'zod';
import { CONTACT_HASH_PREFIX, MAX_PHONE_HASHES } from '../platform/contracts/index.ts';
import { schemas } from '../platform/validation.ts';
import { REQUEST_SOURCES } from './domain/index.ts';

const { text } = schemas;

/** Epoch milliseconds or an ISO 8601 time, as a number of milliseconds. */
const cursor = z
  .string()
  .trim()
  .transform((value, ctx) => {
    if (/^[0-9]{1,15}$/.test(value)) return Number(value);
    const ms = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
    if (!Number.isNaN(ms) && ms >= 0) return ms;
    ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 time' });
    return z.NEVER;
  });

export const SendRequestBody = z.object({
  userId: schemas.id,
  message: text(200).nullable().optional().describe('verification message shown to the other user'),
  source: z.enum(REQUEST_SOURCES).default('search').describe('where the user was found'),
});

export const RequestListQuery = z.object({
  direction: z.enum(['incoming', 'outgoing']).default('incoming'),
  status: z.enum(['pending', 'accepted', 'rejected', 'expired']).optional(),
  page: schemas.page,
  pageSize: schemas.pageSize,
});

export const IdParams = z.object({ id: schemas.id });

export const HandleRequestBody = z.object({ action: z.enum(['accept', 'reject']) });

export const FriendListQuery = z
  .object({
    lastUpdateTime: cursor
      .optional()
      .describe('the updateTime of the previous call: only changes after it, deletions included'),
    categoryId: z
      .union([z.literal('0'), schemas.id])
      .optional()
      .describe('only friends of this category; 0 for the default category'),
    page: schemas.page,
    pageSize: z.coerce.number().int().min(1).max(500).default(100),
  })
  .refine(
    (query) => query.lastUpdateTime === undefined || query.categoryId === undefined,
    'categoryId cannot be combined with lastUpdateTime',
  );

export const RemarkBody = z.object({
  remark: text(50).nullable().describe('empty or null clears the remark'),
});

export const MoveCategoryBody = z.object({
  categoryId: schemas.id.nullable().describe('null moves the friend to the default category'),
});

export const FriendSettingsBody = z
  .object({ isMuted: z.boolean(), isStarred: z.boolean() })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'at least one field is required');

export const CategoryNameBody = z.object({
  name: text(20).pipe(z.string().min(1, 'must not be empty')),
});

export const BlacklistBody = z.object({ userId: schemas.id });

export const PageQuery = z.object({ page: schemas.page, pageSize: schemas.pageSize });

export const BriefProfileDto = z.object({
  userId: z.string(),
  nickname: z.string(),
  avatar: z.string().nullable(),
  signature: z.string().nullable(),
});

export const SendRequestDto = z.object({
  requestId: z.string(),
  status: z.enum(['pending', 'accepted']),
});

export const HandleRequestDto = z.object({
  requestId: z.string(),
  status: z.enum(['accepted', 'rejected']),
});

export const FriendRequestDto = z.object({
  requestId: z.string(),
  fromUserId: z.string(),
  toUserId: z.string(),
  /** The other user of the request. */
  user: BriefProfileDto.nullable(),
  message: z.string().nullable(),
  source: z.string(),
  status: z.enum(['pending', 'accepted', 'rejected', 'expired']),
  createdAt: z.string(),
  expiresAt: z.string(),
  handledAt: z.string().nullable(),
});

export const FriendDto = BriefProfileDto.extend({
  remark: z.string().nullable(),
  categoryId: z.string().nullable(),
  isMuted: z.boolean(),
  isStarred: z.boolean(),
  online: z.boolean(),
  platforms: z.array(z.string()),
  lastActiveTime: z.string().nullable(),
  /** When they became friends. */
  createdAt: z.string(),
  updateTime: z.number().int(),
  deleted: z.literal(false),
});

export const DeletedFriendDto = z.object({
  userId: z.string(),
  deleted: z.literal(true),
  updateTime: z.number().int(),
});

export const FriendListDto = z.object({
  friends: z.array(z.union([FriendDto, DeletedFriendDto])),
  total: z.number().int(),
  updateTime: z.number().int().describe('pass as lastUpdateTime to get what changed after this answer'),
  hasMore: z.boolean(),
});

export const CategoryDto = z.object({
  categoryId: z.string(),
  name: z.string(),
  friendCount: z.number().int(),
  createdAt: z.string(),
});

export const CategoryListDto = z.object({
  categories: z.array(CategoryDto),
  defaultFriendCount: z.number().int(),
});

export const BlacklistEntryDto = z.object({
  userId: z.string(),
  nickname: z.string(),
  avatar: z.string().nullable(),
  blockedAt: z.string(),
});

export const ContactsBody = z.object({
  phoneHashes: z
    .array(z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256'))
    .min(1)
    .max(MAX_PHONE_HASHES)
    .describe(
      `one hash per phone number of the phone book: lower-case hex SHA-256 of "${CONTACT_HASH_PREFIX}" followed by the number's digits alone (no +, spaces or dashes), e.g. of "${CONTACT_HASH_PREFIX}8613800138000"; send one per form a contact may be registered under (with and without the country code). The numbers themselves are never sent, and the hashes are not kept.`,
    ),
});

const BriefUserDto = z.object({
  userId: z.string(),
  nickname: z.string(),
  avatar: z.string().nullable(),
  signature: z.string().nullable(),
});

export const ContactMatchDto = BriefUserDto.extend({
  phoneHash: z.string().describe('the hash of mine this user was found by'),
  isFriend: z.boolean(),
});

export const RecommendationsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const RecommendationDto = BriefUserDto.extend({
  mutualFriends: z.number().int().describe('friends we have in common'),
  commonGroups: z.number().int().describe('groups we are both members of (groups of at most 500 members)'),
  reasons: z
    .array(z.string())
    .describe('why they are offered, strongest first, e.g. "3 common groups", "2 mutual friends"'),
});
