import { z } from 'zod';
import { schemas } from '../platform/validation.ts';
import { LEAVE_REASONS } from './entities.ts';

const { text, multiline, name } = schemas;
const avatar = schemas.url(255).nullable().describe('image URL; null for none');

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

/**
 * A path id in a route that also takes a body: a malformed one is treated as naming nothing (the
 * route answers "not found"), so that body errors are reported whatever the path holds.
 */
const pathRef = z
  .string()
  .max(40)
  .transform((value) => (schemas.id.safeParse(value).success ? value : null));

export const IdParams = z.object({ id: schemas.id });
export const MemberParams = z.object({ id: schemas.id, userId: schemas.id });
export const MuteParams = z.object({ id: schemas.id, userId: pathRef });
export const JoinRequestParams = z.object({ id: schemas.id, reqId: pathRef });
export const QrcodeParams = z.object({
  code: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a group QR code'),
});

export const CreateGroupBody = z.object({
  name: name(100).pipe(z.string().min(1, 'must not be empty')),
  avatar: avatar.optional(),
  memberIds: z
    .array(schemas.id)
    .max(1000)
    .describe(
      'initial members besides me: at least 2 (40103); those who may not be added directly are invited (invitedIds); unknown users and users who blacklisted me are reported in failedIds',
    ),
});

export const UpdateGroupBody = z
  .object({
    name: name(100).pipe(z.string().min(1, 'must not be empty')),
    avatar,
    avatarFileId: schemas.id.describe(
      'an upload of type group_avatar naming this group (mine, an image): the avatar becomes its URL, GET /api/v1/files/{id}',
    ),
    announcement: multiline(2000).nullable().describe('empty or null clears it; posted as a group notice'),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'at least one field is required')
  .refine((body) => body.avatar === undefined || body.avatarFileId === undefined, {
    message: 'give avatar or avatarFileId, not both',
    path: ['avatarFileId'],
  });

export const SettingsBody = z
  .object({
    allMuted: z.boolean().describe('only the owner and admins may speak'),
    memberInvite: z.boolean().describe('plain members may invite'),
    joinVerify: z.boolean().describe('joining needs the approval of the owner or an admin'),
    historyVisible: z.boolean().describe('new members see messages from before they joined'),
    memberAddFriend: z.boolean().describe('members may add each other as friends'),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'at least one field is required');

const inviteIds = z.array(schemas.id).min(1).max(500);
export const InviteBody = z
  .object({
    userIds: inviteIds.optional(),
    memberIds: inviteIds.optional().describe("alias of userIds (the seed API's name)"),
  })
  .refine((body) => (body.userIds === undefined) !== (body.memberIds === undefined), {
    message: 'give userIds or its alias memberIds (one of them)',
    path: ['userIds'],
  })
  .transform((body) => ({ userIds: body.userIds ?? body.memberIds ?? [] }));
export const JoinBody = z.object({
  message: text(200).nullable().optional().describe('shown to the owner and admins'),
});
export const HandleJoinBody = z.object({ action: z.enum(['accept', 'reject']) });
export const UserIdBody = z.object({ userId: schemas.id });
export const NicknameBody = z.object({
  nickname: name(50).nullable().describe('empty or null clears it'),
});
export const MuteBody = z.object({
  seconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .describe('how long the member may not speak; 0 lifts the mute'),
});
export const QrJoinBody = z.object({
  code: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a group QR code'),
  message: text(200).nullable().optional(),
});

export const GroupListQuery = z.object({
  lastUpdateTime: cursor
    .optional()
    .describe(
      'the updateTime of the previous call: only changes after it, groups I am no longer in included',
    ),
  page: schemas.page,
  pageSize: z.coerce.number().int().min(1).max(500).default(100),
});
export const MemberQuery = z.object({
  keyword: text(50).optional().describe('part of a nickname, group nickname or user id'),
  page: schemas.page,
  pageSize: z.coerce.number().int().min(1).max(500).default(100),
});
export const PageQuery = z.object({ page: schemas.page, pageSize: schemas.pageSize });
export const QrcodeQuery = z.object({
  refresh: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('true: a new code (the previous one stops working)'),
});

const BriefProfileDto = z.object({
  userId: z.string(),
  nickname: z.string(),
  avatar: z.string().nullable(),
});

export const GroupSettingsDto = z.object({
  allMuted: z.boolean(),
  memberInvite: z.boolean(),
  joinVerify: z.boolean(),
  historyVisible: z.boolean(),
  memberAddFriend: z.boolean(),
});

export const MembershipDto = z.object({
  role: z.enum(['owner', 'admin', 'member']),
  groupNickname: z.string().nullable(),
  isMuted: z.boolean(),
  mutedUntil: z.string().nullable(),
  joinedAt: z.string(),
});

/** What a member sees; a non-member gets the public part (member-only fields are null). */
export const GroupDto = z.object({
  groupId: z.string(),
  name: z.string(),
  avatar: z.string().nullable(),
  memberCount: z.number().int(),
  maxMembers: z.number().int(),
  joinVerify: z.boolean(),
  dismissed: z.boolean(),
  createdAt: z.string(),
  isMember: z.boolean(),
  ownerId: z.string().nullable(),
  announcement: z.string().nullable(),
  announcementUpdatedAt: z.string().nullable(),
  /** All muted (seed §5.2.4 `isMuted`); null for non-members. */
  isMuted: z.boolean().nullable(),
  settings: GroupSettingsDto.nullable(),
  me: MembershipDto.nullable(),
});

/** What a create or invite call did with each user named. */
const AddOutcomeDto = z.object({
  successIds: z.array(z.string()).describe('added: members now'),
  invitedIds: z
    .array(z.string())
    .describe(
      'invited: users who may not be added directly (not my friend, or their privacy setting says so) got an invitation to accept or decline',
    ),
  failedIds: z.array(z.string()),
  failures: z.array(z.object({ userId: z.string(), code: z.number().int(), reason: z.string() })),
});

export const CreateGroupDto = GroupDto.extend(AddOutcomeDto.shape);

export const ListedGroupDto = GroupDto.extend({
  status: z.literal('active'),
  updateTime: z.number().int(),
});

export const GoneGroupDto = z.object({
  groupId: z.string(),
  status: z.enum(LEAVE_REASONS).describe('left, removed (by an admin) or dismissed'),
  updateTime: z.number().int(),
});

export const GroupListDto = z.object({
  groups: z.array(z.union([ListedGroupDto, GoneGroupDto])),
  total: z.number().int(),
  updateTime: z.number().int().describe('pass as lastUpdateTime to get what changed after this answer'),
  hasMore: z.boolean(),
});

export const MemberDto = BriefProfileDto.extend({
  kind: z.enum(['user', 'bot']).describe('`bot`: a bot account (it acts through its tokens)'),
  groupNickname: z.string().nullable(),
  role: z.enum(['owner', 'admin', 'member']),
  joinedAt: z.string(),
  isMuted: z.boolean(),
  mutedUntil: z.string().nullable(),
});

export const MemberListDto = z.object({ total: z.number().int(), members: z.array(MemberDto) });

export const InviteDto = AddOutcomeDto.extend({ memberCount: z.number().int() });

export const InvitationDto = z.object({
  groupId: z.string(),
  group: z.object({ name: z.string(), avatar: z.string().nullable(), memberCount: z.number().int() }),
  inviter: BriefProfileDto,
  createdAt: z.string(),
  expiresAt: z.string().describe('the invitation lapses then'),
});

export const InvitationListDto = z.object({ total: z.number().int(), invitations: z.array(InvitationDto) });

export const AnswerInvitationBody = z.object({ action: z.enum(['accept', 'decline']) });

export const AnsweredInvitationDto = z.object({
  groupId: z.string(),
  status: z.enum(['accepted', 'declined']),
});

export const JoinDto = z.object({
  groupId: z.string(),
  status: z.enum(['pending', 'joined']),
  requestId: z.string().nullable(),
});

export const JoinRequestDto = z.object({
  requestId: z.string(),
  groupId: z.string(),
  user: BriefProfileDto,
  message: z.string().nullable(),
  source: z.string(),
  status: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const MuteDto = z.object({
  userId: z.string(),
  isMuted: z.boolean(),
  mutedUntil: z.string().nullable(),
});

export const QrcodeDto = z.object({ code: z.string(), url: z.string(), expiresAt: z.string() });
