import { z } from 'zod';
import { SESSION_ID_PATTERN } from '../platform/contracts/index.ts';
import { schemas } from '../platform/validation.ts';
import { BUILT_IN_ROLES } from './permissions.ts';

const line = (max: number) => schemas.text(max).min(1);
const multiline = (max: number) => schemas.multiline(max).min(1);
const iso = z.iso.datetime({ offset: true });

export const USERNAME_PATTERN = /^[a-z][a-z0-9_.-]{2,49}$/;
export const Username = z
  .string()
  .regex(USERNAME_PATTERN, '3-50 lower-case letters, digits, _ . -, starting with a letter');
/** Admin passwords guard the whole platform: longer than chat passwords, and never a default. */
export const AdminPassword = z.string().min(12, 'at least 12 characters').max(128);
export const RoleName = z.enum(BUILT_IN_ROLES.map((role) => role.name) as [string, ...string[]]);

export const LoginBody = z.object({
  username: schemas.text(50).min(1),
  password: z.string().min(1).max(128),
  otp: schemas
    .text(32)
    .optional()
    .describe('Authenticator (TOTP) code or a recovery code; 10116 says when it is needed'),
});
export const CreateAdminBody = z.object({
  username: Username,
  password: AdminPassword,
  role: RoleName,
  email: z.email().max(100).optional(),
});

export const AdminDto = z.object({
  adminId: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  role: z.string(),
  permissions: z.array(z.string()),
  createdAt: iso,
  lastLoginAt: iso.nullable(),
});
export const LoginDto = z.object({
  token: z.string(),
  expiresAt: iso,
  admin: AdminDto,
  recoveryCodes: z
    .array(z.string())
    .optional()
    .describe('Only from the login that enrolled the second factor: one-time recovery codes, shown once'),
});
export const RoleDto = z.object({
  name: z.string(),
  description: z.string(),
  permissions: z.array(z.string()),
});

export const UserParams = z.object({ userId: schemas.id });
export const UserListQuery = z.object({
  keyword: schemas.text(100).min(1).optional(),
  state: z.enum(['active', 'banned', 'frozen', 'deleted']).optional(),
  page: schemas.page,
  pageSize: schemas.pageSize,
});
export const BanBody = z.object({
  reason: line(200),
  /** Omitted: until lifted by hand. */
  durationSeconds: z
    .number()
    .int()
    .min(1)
    .max(10 * 365 * 86_400)
    .optional(),
});
const BanDto = z.object({ reason: z.string(), until: iso.nullable(), bannedBy: z.string(), bannedAt: iso });
const UserItemDto = z.object({
  userId: z.string(),
  account: z.string(),
  nickname: z.string().nullable(),
  phoneNumber: z.string().nullable(),
  email: z.string().nullable(),
  state: z.enum(['active', 'banned', 'frozen', 'deleted']),
  createdAt: z.string(),
  lastLoginAt: z.string().nullable(),
  ban: BanDto.nullable(),
});
export const UserListDto = z.object({ total: z.number().int(), items: z.array(UserItemDto) });
export const UserDetailDto = UserItemDto.extend({
  devices: z.array(
    z.object({
      deviceId: z.string(),
      deviceType: z.string(),
      lastActiveAt: z.string(),
      ip: z.string().nullable(),
    }),
  ),
  online: z.boolean(),
});
export const BannedDto = z.object({
  userId: z.string(),
  state: z.literal('banned'),
  reason: z.string(),
  until: iso.nullable(),
});
export const UnbannedDto = z.object({ userId: z.string(), state: z.literal('active') });
export const KickedDto = z.object({ devices: z.number().int() });

export const GroupParams = z.object({ groupId: schemas.id });
export const GroupMemberParams = z.object({ groupId: schemas.id, userId: schemas.id });
export const GroupListQuery = z.object({
  keyword: schemas.text(100).min(1).optional(),
  page: schemas.page,
  pageSize: schemas.pageSize,
});
export const ReasonBody = z.object({ reason: line(200).optional() });
const GroupItemDto = z.object({
  groupId: z.string(),
  name: z.string(),
  ownerId: z.string(),
  memberCount: z.number().int(),
  dismissed: z.boolean(),
  createdAt: z.string(),
});
export const GroupListDto = z.object({ total: z.number().int(), items: z.array(GroupItemDto) });
export const GroupDetailDto = GroupItemDto.extend({
  announcement: z.string().nullable(),
  members: z.array(
    z.object({
      userId: z.string(),
      role: z.string(),
      joinedAt: z.string(),
      mutedUntil: z.string().nullable(),
    }),
  ),
});

export const MessageHistoryQuery = z.object({
  sessionId: z.string().regex(SESSION_ID_PATTERN, 'must be s_<userId>_<userId> or g_<groupId>'),
  beforeSeq: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const MessageParams = z.object({ messageId: schemas.id });
export const MessageHistoryDto = z.object({ messages: z.array(z.record(z.string(), z.unknown())) });
export const RecalledDto = z.object({ messageId: z.string(), sessionId: z.string() });

export const BroadcastBody = z.object({
  text: multiline(2000),
  kind: z.enum(['announcement', 'maintenance']).default('announcement'),
});
export const BroadcastParams = z.object({ broadcastId: schemas.id });
export const BroadcastDto = z.object({
  broadcastId: z.string(),
  kind: z.enum(['announcement', 'maintenance']),
  text: z.string(),
  status: z.enum(['sending', 'done']),
  recipients: z.number().int(),
  createdBy: z.string(),
  createdAt: iso,
  finishedAt: iso.nullable(),
});
export const BroadcastListDto = z.object({ items: z.array(BroadcastDto) });

export const StatsDto = z.object({
  users: z.object({ total: z.number(), newToday: z.number(), active24h: z.number() }),
  connections: z.object({
    total: z.number(),
    gateways: z.array(z.object({ instanceId: z.string(), connections: z.number(), reportedAt: z.string() })),
  }),
  messages: z.object({
    total: z.number(),
    lastMinute: z.number(),
    perMinute: z.array(z.object({ minute: z.string(), count: z.number() })),
    byContentType: z.record(z.string(), z.number()),
  }),
  groups: z.object({ total: z.number(), active: z.number(), newToday: z.number() }),
  push: z
    .object({
      providers: z.array(z.object({ provider: z.string(), success: z.number(), failed: z.number() })),
    })
    .nullable()
    .describe('offline pushes of the last hour per provider; null when the push service did not answer'),
  files: z
    .object({ files: z.number(), bytes: z.number(), storedBytes: z.number() })
    .nullable()
    .describe(
      'files held and their size; storedBytes counts identical content once; null when the file service did not answer',
    ),
  calls: z
    .object({
      periodMinutes: z.number(),
      started: z.number(),
      answered: z.number(),
      missed: z.number(),
      meetings: z.number(),
      meetingMinutes: z.number(),
    })
    .nullable()
    .describe(
      'calls invited in the period (answered, missed among them), meetings running in it and their minutes within it; null when the rtc service did not answer',
    ),
  generatedAt: iso,
});
/** A period back from now (`90m`, `24h`, `7d`), in minutes. */
const period = z
  .string()
  .trim()
  .regex(/^[0-9]{1,6}[mhd]$/, 'must be a duration such as 90m, 24h, 7d')
  .transform(
    (value) => Number(value.slice(0, -1)) * { m: 1, h: 60, d: 1440 }[value.at(-1) as 'm' | 'h' | 'd'],
  )
  .pipe(
    z
      .number()
      .int()
      .min(1, 'at least a minute')
      .max(366 * 1440, 'at most 366 days'),
  );
export const StatsQuery = z.object({
  period: period.optional().describe('what calls and meetings are counted over; 24h when absent'),
});

export const PushTestDto = z.object({
  results: z.array(
    z.object({
      deviceId: z.string(),
      provider: z.string(),
      status: z.enum(['success', 'failed']),
      error: z.string().nullable(),
    }),
  ),
});

/** A time: ISO 8601, or a duration back from now (`30m`, `2h`, `7d`). */
const since = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const relative = /^([0-9]{1,6})([smhd])$/.exec(value);
    if (relative) {
      const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
      return new Date(Date.now() - Number(relative[1]) * unit);
    }
    const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
    if (!Number.isNaN(ms)) return new Date(ms);
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time or a duration such as 30m, 2h, 7d' });
    return z.NEVER;
  })
  .pipe(schemas.storableDate);
export const AuditQuery = z.object({
  since: since.optional(),
  actor: schemas.text(64).min(1).optional(),
  action: schemas.text(100).min(1).optional(),
  userId: schemas.id.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const AuditDto = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      actorType: z.enum(['admin', 'user', 'system']),
      actorId: z.string().nullable(),
      actorName: z.string().nullable(),
      action: z.string(),
      resourceType: z.string().nullable(),
      resourceId: z.string().nullable(),
      details: z.record(z.string(), z.unknown()),
      ip: z.string().nullable(),
      createdAt: iso,
    }),
  ),
});

/** Namespaced keys: `basic.siteName`, `push.apnsTopic`, `customerService.email`. */
export const ConfigParams = z.object({
  key: z
    .string()
    .regex(
      /^[a-z][a-zA-Z0-9]{0,40}(\.[a-z][a-zA-Z0-9]{0,40}){1,3}$/,
      'namespaced key such as basic.siteName',
    ),
});
export const ConfigBody = z.object({ value: schemas.json(16_384) });
const ConfigItemDto = z.object({
  key: z.string(),
  value: z.unknown(),
  updatedAt: iso,
  updatedBy: z.string(),
});
export const ConfigListDto = z.object({ items: z.array(ConfigItemDto) });
export { ConfigItemDto };

export const SensitiveWordsBody = z.object({
  words: z.array(line(50)).max(10_000),
  action: z.enum(['mask', 'reject']),
});
export const SensitiveWordsDto = SensitiveWordsBody;
