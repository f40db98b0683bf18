import { z } from 'zod';
import { ADD_ME_POLICIES, GROUP_INVITE_POLICIES, VISIBILITIES } from '../platform/contracts/index.ts';
import { schemas } from '../platform/validation.ts';

const { text, name } = schemas;

function isPastDate(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return (
    !Number.isNaN(date.getTime()) &&
    date.toISOString().startsWith(value) &&
    date.getTime() <= Date.now() &&
    value >= '1900-01-01'
  );
}

export const UpdateProfileBody = z
  .object({
    nickname: name(32).pipe(z.string().min(1, 'must not be empty')),
    avatar: schemas.url(255).nullable(),
    avatarFileId: schemas.id.describe(
      'an upload of type avatar (mine, an image): the avatar becomes its URL, GET /api/v1/files/{id}',
    ),
    signature: text(200).nullable(),
    gender: z.union([z.literal(0), z.literal(1), z.literal(2)]).describe('0 unknown, 1 male, 2 female'),
    birthday: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
      .refine(isPastDate, 'must be a real date between 1900-01-01 and today')
      .nullable(),
    region: text(100).nullable(),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'at least one field is required')
  .refine((body) => body.avatar === undefined || body.avatarFileId === undefined, {
    message: 'give avatar or avatarFileId, not both',
    path: ['avatarFileId'],
  });

const clock = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be HH:MM (00:00 to 23:59)');

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const UpdateSettingsBody = z
  .object({
    friendVerify: z.boolean(),
    notificationEnabled: z.boolean(),
    language: z.enum(['zh-CN', 'en']),
    groupInvitePolicy: z
      .enum(GROUP_INVITE_POLICIES)
      .describe(
        'who may add me to groups directly: friends (default), nobody, or everyone (strangers only where the platform lets strangers message each other); anyone else sends an invitation I accept or decline',
      ),
    dndStart: clock.nullable().describe('start of my do-not-disturb hours (HH:MM in timeZone); null: none'),
    dndEnd: clock
      .nullable()
      .describe('end of my do-not-disturb hours (HH:MM, may be past midnight); null: none'),
    timeZone: z
      .string()
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai')
      .describe('the time zone of my do-not-disturb hours'),
    pushPreview: z.boolean().describe('pushes show the sender and the text; false: "You have a new message"'),
    pushMentionsWhenMuted: z.boolean().describe('@mentions of me are pushed from conversations I muted'),
  })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'at least one field is required')
  .refine(
    (body) => (body.dndStart === undefined) === (body.dndEnd === undefined),
    'dndStart and dndEnd are set together',
  )
  .refine(
    (body) => (body.dndStart === null) === (body.dndEnd === null),
    'dndStart and dndEnd are both times or both null',
  );

export const UserIdParams = z.object({ id: schemas.id });
export const QrcodeParams = z.object({
  code: z.string().regex(/^[A-Za-z0-9_-]{10,64}$/, 'malformed QR code'),
});

export const SearchQuery = z.object({
  keyword: text(100).min(1, 'must not be empty'),
  page: schemas.page,
  pageSize: schemas.pageSize,
});

export const PushTokenBody = z.object({
  pushToken: text(2048)
    .min(8)
    .describe('APNs device token (hex), FCM registration token, or a Web Push subscription as JSON'),
  platform: z.enum(['iOS', 'Android', 'Web']),
  provider: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,31}$/, 'must be a provider name such as apns, fcm, webpush')
    .optional()
    .describe("who delivers to this device; default: the platform's own (apns, fcm, webpush)"),
  language: z
    .enum(['zh-CN', 'en'])
    .optional()
    .describe("the device's language; default: my language setting"),
});

export const DeviceParams = z.object({ deviceId: text(100).min(1) });

export const PushRegistrationDto = z.object({
  deviceId: z.string(),
  platform: z.string(),
  provider: z.string(),
  language: z.string(),
  updatedAt: z.string(),
});

export const PublicProfileDto = z.object({
  userId: z.string(),
  nickname: z.string(),
  avatar: z.string().nullable(),
  signature: z.string().nullable(),
  gender: z.number().int(),
  region: z.string().nullable(),
  kind: z.enum(['user', 'bot']).describe('`bot`: a bot account (acts through its tokens), with botOwnerId'),
  botOwnerId: z.string().nullable().describe("a bot's owner; null for a user"),
});

export const UserDetailDto = PublicProfileDto.extend({
  isFriend: z.boolean(),
  /** I have this user on my blacklist. */
  isBlocked: z.boolean(),
  online: z.boolean(),
  platforms: z.array(z.string()),
  lastActiveTime: z.string().nullable().describe('ISO time the user was last connected; null if never'),
  accountDeleted: z
    .boolean()
    .describe('the account was deleted: the profile is a placeholder, never online, found by no search'),
});

export const MyProfileDto = PublicProfileDto.extend({
  account: z.string(),
  birthday: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  qrcodeUrl: z.string().nullable(),
  createdAt: z.string(),
});

export const SettingsDto = z.object({
  friendVerify: z.boolean(),
  notificationEnabled: z.boolean(),
  language: z.string(),
  groupInvitePolicy: z.enum(GROUP_INVITE_POLICIES),
  dndStart: z.string().nullable(),
  dndEnd: z.string().nullable(),
  timeZone: z.string(),
  pushPreview: z.boolean(),
  pushMentionsWhenMuted: z.boolean(),
});

export const QrcodeDto = z.object({ code: z.string(), qrcodeUrl: z.string(), expiresAt: z.string() });

const visibility = (what: string) =>
  z.enum(VISIBILITIES).describe(`who ${what}: everyone, my friends, or nobody`);

export const PrivacyDto = z.object({
  findByPhone: visibility('may find me by my phone number (search, contact discovery)'),
  findByEmail: visibility('may find me by my e-mail address'),
  findByAccount: visibility('may find me by my account name'),
  addMe: z
    .enum(ADD_ME_POLICIES)
    .describe('who may send me a friend request: everyone, friends of my friends, or nobody'),
  presence: visibility('sees whether I am online and when I was last seen'),
  readReceipts: z
    .boolean()
    .describe("others see that I read their messages; off: they do not, and I see no one else's reads"),
});

export const UpdatePrivacyBody = PrivacyDto.partial().refine(
  (body) => Object.keys(body).length > 0,
  'at least one field is required',
);

export const ExportParams = z.object({ id: schemas.id });

export const DataExportDto = z.object({
  exportId: z.string(),
  /** pending (queued or being built), ready (download it), failed, or expired (archive dropped). */
  status: z.enum(['pending', 'ready', 'failed', 'expired']),
  sizeBytes: z.number().int().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  /** Until when the archive is kept (ready exports). */
  expiresAt: z.string().nullable(),
});

export const ExportLinkDto = z.object({
  /** The zip, without credentials: anyone with the link can download it until `expiresAt`. */
  url: z.string(),
  expiresAt: z.string(),
});
