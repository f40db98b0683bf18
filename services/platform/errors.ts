/**
 * Business error codes of seed §7 and the one error type every layer throws.
 * The error middleware turns an AppError into the §7.16 envelope; anything else becomes 000005.
 */

export type Language = 'en' | 'zh-CN';

interface CodeInfo {
  status: number;
  en: string;
  zh: string;
}

/** Codes as numbers (seed §7 writes them with a leading zero: 010101 → 10101). */
export const ErrorCode = {
  OK: 0,
  INVALID_PARAMS: 1,
  DATABASE_ERROR: 2,
  CACHE_ERROR: 3,
  NETWORK_ERROR: 4,
  UNKNOWN: 5,
  SERVICE_UNAVAILABLE: 6,
  TIMEOUT: 7,
  CONFLICT: 8,
  TOO_MANY_REQUESTS: 9,
  MAINTENANCE: 10,
  NOT_FOUND: 11,
  UNAUTHENTICATED: 12,
  FORBIDDEN: 13,
  PAYLOAD_TOO_LARGE: 14,

  USER_EXISTS: 10101,
  USER_NOT_FOUND: 10102,
  WRONG_PASSWORD: 10103,
  TOKEN_INVALID: 10104,
  TOKEN_EXPIRED: 10105,
  REFRESH_TOKEN_INVALID: 10106,
  REFRESH_TOKEN_EXPIRED: 10107,
  VERIFY_CODE_WRONG: 10108,
  VERIFY_CODE_EXPIRED: 10109,
  WEAK_PASSWORD: 10110,
  ACCOUNT_DISABLED: 10111,
  ACCOUNT_FROZEN: 10112,
  BAD_PHONE: 10113,
  BAD_EMAIL: 10114,
  TOO_MANY_DEVICES: 10115,
  SECOND_FACTOR_REQUIRED: 10116,
  /** A deleted account signing in with its right credentials (seed: 账号异常，请联系客服). */
  ACCOUNT_ABNORMAL: 10117,
  CODE_DELIVERY_FAILED: 10118,
  SECOND_FACTOR_WRONG: 10119,
  SECOND_FACTOR_STATE: 10120,
  SEALED_FIELD_UNREADABLE: 10121,
  TOKEN_SCOPE_MISSING: 10122,
  OIDC_PROVIDER_UNKNOWN: 10201,
  OIDC_STATE_INVALID: 10202,
  OIDC_TOKEN_INVALID: 10203,
  OIDC_EMAIL_UNVERIFIED: 10204,
  OIDC_IDENTITY_LINKED: 10205,
  OIDC_PROVIDER_FAILED: 10207,

  NICKNAME_TAKEN: 20101,
  NICKNAME_SENSITIVE: 20102,
  /** A route looking a user up by id found none (seed §5's GET /users/:id). */
  USER_UNKNOWN: 20103,
  QRCODE_EXPIRED: 20104,
  QRCODE_INVALID: 20105,
  PROFILE_NOT_FOUND: 20106,
  SETTING_NOT_FOUND: 20107,
  PUSH_TOKEN_INVALID: 20108,
  PHONE_TAKEN: 20109,
  EMAIL_TAKEN: 20110,

  ALREADY_FRIENDS: 30101,
  BLOCKED_BY_PEER: 30102,
  FRIEND_REQUEST_DUPLICATE: 30103,
  FRIEND_REQUEST_NOT_FOUND: 30104,
  FRIEND_REQUEST_EXPIRED: 30105,
  FRIEND_REQUEST_HANDLED: 30106,
  FRIEND_NOT_FOUND: 30107,
  FRIEND_SELF: 30108,
  FRIEND_LIMIT: 30109,
  PEER_FRIEND_LIMIT: 30110,
  BLACKLIST_LIMIT: 30111,
  ALREADY_BLACKLISTED: 30112,
  NOT_BLACKLISTED: 30113,
  FRIEND_REQUEST_NOT_ALLOWED: 30114,

  GROUP_NOT_FOUND: 40101,
  GROUP_DISMISSED: 40102,
  GROUP_TOO_FEW_MEMBERS: 40103,
  GROUP_FULL: 40104,
  GROUP_NOT_MEMBER: 40105,
  GROUP_ALREADY_MEMBER: 40106,
  GROUP_NOT_OWNER: 40107,
  GROUP_NOT_ADMIN: 40108,
  GROUP_CANNOT_REMOVE_OWNER: 40109,
  GROUP_CANNOT_REMOVE_ADMIN: 40110,
  GROUP_NAME_SENSITIVE: 40111,
  GROUP_ANNOUNCEMENT_SENSITIVE: 40112,
  GROUP_JOIN_REQUEST_NOT_FOUND: 40113,
  GROUP_JOIN_REQUEST_HANDLED: 40114,
  GROUP_MUTED: 40115,
  GROUP_OWNER_CANNOT_EXIT: 40116,
  GROUP_QRCODE_EXPIRED: 40117,
  GROUP_INVITATION_NOT_FOUND: 40118,

  MESSAGE_NOT_FOUND: 50101,
  MESSAGE_RECALLED: 50102,
  MESSAGE_RECALL_EXPIRED: 50103,
  MESSAGE_RECALL_FORBIDDEN: 50104,
  MESSAGE_SENSITIVE: 50105,
  MESSAGE_SEND_FAILED: 50106,
  MESSAGE_NOT_FRIEND: 50107,
  MESSAGE_BLOCKED: 50108,
  MESSAGE_EMPTY: 50109,
  MESSAGE_TOO_LONG: 50110,
  MESSAGE_BAD_URL: 50111,
  MESSAGE_TYPE_UNSUPPORTED: 50112,
  MESSAGE_EDIT_EXPIRED: 50120,
  MESSAGE_EDIT_FORBIDDEN: 50121,
  MESSAGE_NOT_EDITABLE: 50122,
  MESSAGE_PIN_LIMIT: 50123,
  MESSAGE_REACTION_LIMIT: 50124,
  MESSAGE_SCHEDULE_NOT_FOUND: 50130,
  MESSAGE_SCHEDULE_TIME_INVALID: 50131,
  MESSAGE_SCHEDULE_DONE: 50132,
  MESSAGE_NOT_FORWARDABLE: 50133,
  LINK_PREVIEW_REFUSED: 50134,
  LINK_PREVIEW_FAILED: 50135,
  WEBHOOK_URL_REFUSED: 50136,
  /** A send to a system conversation (`n_<user id>`): notices are read, never replied to. */
  MESSAGE_SYSTEM_READ_ONLY: 50140,

  SESSION_NOT_FOUND: 60101,
  SESSION_DELETED: 60102,
  SESSION_CREATE_FAILED: 60103,
  UNREAD_COUNT_ERROR: 60104,

  FILE_TOO_LARGE: 70101,
  FILE_TYPE_UNSUPPORTED: 70102,
  FILE_QUOTA_EXCEEDED: 70103,
  FILE_UPLOAD_FAILED: 70104,
  FILE_NOT_FOUND: 70105,
  FILE_DELETED: 70106,
  FILE_URL_EXPIRED: 70107,
  FILE_UPLOAD_ID_INVALID: 70108,
  FILE_CHUNK_INDEX_INVALID: 70109,
  FILE_CHECKSUM_MISMATCH: 70110,
  PUSH_UNAVAILABLE: 80103,

  // Gateway (seed §7.12): `reasonCode` of ERROR and CONNECT_ERROR frames and the start of close
  // reasons, beside the documented code of the frame (e.g. 1 for a malformed frame).
  GATEWAY_DISCONNECTED: 90101,
  GATEWAY_HEARTBEAT_TIMEOUT: 90102,
  GATEWAY_BAD_FRAME: 90103,
  GATEWAY_TOO_MANY_CONNECTIONS: 90104,
  GATEWAY_DUPLICATE_CONNECTION: 90105,

  CALL_NOT_FOUND: 100101,
  CALL_ENDED: 100102,
  CALLEE_BUSY: 100103,
  CALL_REJECTED: 100104,
  CALL_NO_ANSWER: 100105,
  MEETING_NOT_FOUND: 100106,
  MEETING_ENDED: 100107,
  MEETING_WRONG_PASSWORD: 100108,
  MEETING_FULL: 100109,
  LIVEKIT_UNAVAILABLE: 100110,
  CALLS_NOT_CONFIGURED: 100111,
  CALL_ANSWERED_ELSEWHERE: 100112,
  RECORDING_NOT_CONFIGURED: 100113,
  RECORDER_UNAVAILABLE: 100114,
  MEETING_ALREADY_RECORDING: 100115,
  MEETING_NOT_RECORDING: 100116,
  /** The host's storage cannot take the recording: refused at the start, or its file refused at the end. */
  RECORDING_QUOTA_EXCEEDED: 100117,

  // Sync (seed §7.14): the offline pull's envelope code, and `reasonCode` of the WebSocket's sync.
  SYNC_DATA_NOT_FOUND: 110101,
  SYNC_VERSION_CONFLICT: 110102,
  SYNC_FAILED: 110103,

  ADMIN_NOT_FOUND: 120101,
  ADMIN_WRONG_PASSWORD: 120102,
  ADMIN_FORBIDDEN: 120103,
  ADMIN_ROLE_NOT_FOUND: 120104,
  ADMIN_PERMISSION_NOT_FOUND: 120105,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

// Statuses follow seed §7.2; 413 and 429 are the standard statuses for those two cases.
const CODES: Record<number, CodeInfo> = {
  0: { status: 200, en: 'success', zh: '成功' },
  1: { status: 400, en: 'Invalid parameters', zh: '参数错误' },
  2: { status: 500, en: 'Database error', zh: '数据库错误' },
  3: { status: 500, en: 'Cache error', zh: '缓存错误' },
  4: { status: 503, en: 'Network error', zh: '网络错误' },
  5: { status: 500, en: 'Unknown error', zh: '未知错误' },
  6: { status: 503, en: 'Service unavailable', zh: '服务不可用' },
  7: { status: 503, en: 'Request timed out', zh: '请求超时' },
  8: { status: 400, en: 'Concurrent modification, retry', zh: '并发冲突' },
  9: { status: 429, en: 'Too many requests, try again later', zh: '操作频繁，请稍后重试' },
  10: { status: 503, en: 'System under maintenance', zh: '系统维护中' },
  11: { status: 404, en: 'Not found', zh: '资源不存在' },
  12: { status: 401, en: 'Authentication required', zh: '未认证' },
  13: { status: 403, en: 'Forbidden', zh: '无权限访问' },
  14: { status: 413, en: 'Request body too large', zh: '请求体过大' },

  10101: { status: 400, en: 'User already exists', zh: '用户已存在' },
  10102: { status: 404, en: 'User does not exist', zh: '用户不存在' },
  10103: { status: 401, en: 'Wrong account or password', zh: '账号或密码错误' },
  10104: { status: 401, en: 'Invalid token', zh: 'Token无效' },
  10105: { status: 401, en: 'Token expired', zh: 'Token已过期' },
  10106: { status: 401, en: 'Invalid refresh token', zh: 'RefreshToken无效' },
  10107: { status: 401, en: 'Refresh token expired', zh: 'RefreshToken已过期' },
  10108: { status: 400, en: 'Wrong verification code', zh: '验证码错误' },
  10109: { status: 400, en: 'Verification code expired', zh: '验证码已过期' },
  10110: { status: 400, en: 'Password too weak', zh: '密码强度不足' },
  10111: { status: 403, en: 'Account disabled', zh: '账号已被禁用' },
  10112: { status: 403, en: 'Account frozen', zh: '账号已被冻结' },
  10113: { status: 400, en: 'Invalid phone number', zh: '手机号格式错误' },
  10114: { status: 400, en: 'Invalid email address', zh: '邮箱格式错误' },
  10115: { status: 403, en: 'Too many logged-in devices', zh: '登录设备数超限' },
  10116: {
    status: 401,
    en: 'Sign-in needs the second factor (authenticator or recovery code)',
    zh: '异地登录需验证（需要两步验证码）',
  },
  10117: {
    status: 403,
    en: 'Account abnormal (deleted); contact customer service',
    zh: '账号异常，请联系客服',
  },
  10118: { status: 503, en: 'The verification code could not be sent', zh: '验证码发送失败' },
  10119: { status: 401, en: 'Wrong second-factor code', zh: '两步验证码错误' },
  10120: {
    status: 400,
    en: 'Two-factor authentication is not in the state this needs',
    zh: '两步验证状态不符',
  },
  10121: {
    status: 503,
    en: 'A stored secret cannot be read with the configured encryption keys',
    zh: '已存储的密钥无法用当前配置的加密密钥解密',
  },
  10122: {
    status: 403,
    en: "The bot token's scopes do not allow this",
    zh: '机器人令牌的权限范围不允许此操作',
  },

  10201: { status: 404, en: 'Unknown sign-in provider', zh: '登录提供方不存在' },
  10202: {
    status: 400,
    en: 'Sign-in request invalid or expired; start again',
    zh: '登录请求无效或已过期，请重新登录',
  },
  10203: { status: 401, en: 'The identity provider answer is not valid', zh: '身份提供方的凭证无效' },
  10204: {
    status: 403,
    en: 'The provider has not verified this e-mail; sign in and link the provider from settings',
    zh: '身份提供方未验证该邮箱，请登录后在设置中绑定',
  },
  10205: {
    status: 400,
    en: 'This provider identity is already linked to an account',
    zh: '该第三方账号已被绑定',
  },
  10207: { status: 503, en: 'The identity provider could not be reached', zh: '身份提供方不可用' },

  20101: { status: 400, en: 'Nickname already in use', zh: '昵称已被使用' },
  20102: { status: 400, en: 'Nickname contains a forbidden word', zh: '昵称包含敏感词' },
  20103: { status: 404, en: 'User does not exist', zh: '用户不存在' },
  20104: { status: 400, en: 'QR code expired', zh: '二维码已过期' },
  20105: { status: 404, en: 'Invalid QR code', zh: '二维码无效' },
  20106: { status: 404, en: 'User profile does not exist', zh: '用户资料不存在' },
  20107: { status: 404, en: 'Setting does not exist', zh: '设置项不存在' },
  20108: { status: 400, en: 'Invalid push token', zh: '推送Token无效' },
  20109: { status: 400, en: 'Phone number already bound', zh: '手机号已被绑定' },
  20110: { status: 400, en: 'Email already bound', zh: '邮箱已被绑定' },

  30101: { status: 400, en: 'Already friends', zh: '已经是好友' },
  30102: { status: 403, en: 'The other user has blocked you', zh: '对方已拉黑你' },
  30103: { status: 400, en: 'Friend request already sent', zh: '重复发送好友申请' },
  30104: { status: 404, en: 'Friend request does not exist', zh: '好友申请不存在' },
  30105: { status: 400, en: 'Friend request expired', zh: '好友申请已过期' },
  30106: { status: 400, en: 'Friend request already handled', zh: '好友申请已处理' },
  30107: { status: 404, en: 'Not a friend', zh: '好友不存在' },
  30108: { status: 400, en: 'You cannot add yourself as a friend', zh: '不能添加自己为好友' },
  30109: { status: 400, en: 'Friend limit reached', zh: '好友数量已达上限' },
  30110: { status: 400, en: "The other user's friend limit is reached", zh: '对方好友数量已达上限' },
  30111: { status: 400, en: 'Blacklist limit reached', zh: '黑名单数量已达上限' },
  30112: { status: 400, en: 'Already in the blacklist', zh: '已在黑名单中' },
  30113: { status: 404, en: 'Not in the blacklist', zh: '不在黑名单中' },
  30114: {
    status: 403,
    en: "The user's privacy settings do not let you send them a friend request",
    zh: '对方的隐私设置不允许你添加好友',
  },

  40101: { status: 404, en: 'Group does not exist', zh: '群组不存在' },
  40102: { status: 400, en: 'Group has been dismissed', zh: '群组已解散' },
  40103: { status: 400, en: 'Not enough members for a group', zh: '群成员数量不足' },
  40104: { status: 400, en: 'Group is full', zh: '群成员已达上限' },
  40105: { status: 403, en: 'Not a member of this group', zh: '不是群成员' },
  40106: { status: 400, en: 'Already a member of this group', zh: '已经是群成员' },
  40107: { status: 403, en: 'Only the group owner may do this', zh: '无群主权限' },
  40108: { status: 403, en: 'Only group admins may do this', zh: '无管理员权限' },
  40109: { status: 403, en: 'The group owner cannot be removed', zh: '不能移除群主' },
  40110: { status: 403, en: 'Admins cannot be removed by admins', zh: '不能移除管理员' },
  40111: { status: 400, en: 'Group name contains a forbidden word', zh: '群名称包含敏感词' },
  40112: { status: 400, en: 'Group announcement contains a forbidden word', zh: '群公告包含敏感词' },
  40113: { status: 404, en: 'Join request does not exist', zh: '入群申请不存在' },
  40114: { status: 400, en: 'Join request already handled', zh: '入群申请已处理' },
  40115: { status: 403, en: 'You are muted in this group', zh: '群内已被禁言' },
  40116: { status: 400, en: 'The owner cannot leave the group; transfer it first', zh: '不能退出自己的群' },
  40117: { status: 400, en: 'Group QR code expired', zh: '群二维码已过期' },
  40118: { status: 404, en: 'Group invitation does not exist or has expired', zh: '群邀请不存在或已过期' },

  50101: { status: 404, en: 'Message does not exist', zh: '消息不存在' },
  50102: { status: 400, en: 'Message has been recalled', zh: '消息已被撤回' },
  50103: { status: 400, en: 'Recall window (2 minutes) has passed', zh: '消息撤回超时（超过2分钟）' },
  50104: { status: 403, en: 'Not allowed to recall this message', zh: '无权撤回此消息' },
  50105: { status: 400, en: 'Message contains a forbidden word', zh: '消息内容包含敏感词' },
  50106: { status: 500, en: 'Message could not be sent', zh: '消息发送失败' },
  50107: { status: 403, en: 'Not friends: the message cannot be sent', zh: '对方不是好友，无法发送消息' },
  50108: { status: 403, en: 'You are blocked: the message cannot be sent', zh: '对方已拉黑你，无法发送消息' },
  50109: { status: 400, en: 'Message content is empty', zh: '消息内容为空' },
  50110: { status: 400, en: 'Message content is too long', zh: '消息内容过长' },
  50111: { status: 400, en: 'Invalid file URL in message', zh: '文件消息URL无效' },
  50112: { status: 400, en: 'Unsupported message type', zh: '不支持的消息类型' },
  50120: { status: 400, en: 'Edit window has passed', zh: '消息编辑超时' },
  50121: { status: 403, en: 'Not allowed to edit this message', zh: '无权编辑此消息' },
  50122: { status: 400, en: 'Only text and quote messages can be edited', zh: '仅文本和引用消息可以编辑' },
  50123: { status: 400, en: 'Too many pinned messages in this conversation', zh: '会话置顶消息过多' },
  50124: { status: 400, en: 'Too many reactions on this message', zh: '消息表情回应过多' },
  50130: { status: 404, en: 'Scheduled message does not exist', zh: '定时消息不存在' },
  50131: {
    status: 400,
    en: 'The scheduled time must be between 1 second and 366 days from now',
    zh: '定时时间须在1秒至366天之内',
  },
  50132: { status: 400, en: 'Scheduled message was already sent or cancelled', zh: '定时消息已发送或已取消' },
  50133: { status: 400, en: 'This message cannot be forwarded', zh: '该消息不可转发' },
  50134: { status: 400, en: 'The link points to an address that is not allowed', zh: '链接地址不被允许' },
  50135: { status: 422, en: 'The link could not be previewed', zh: '无法获取链接预览' },
  50136: { status: 400, en: 'The webhook URL is not allowed', zh: '不允许的 Webhook 地址' },
  50140: {
    status: 403,
    en: 'System notices cannot be replied to',
    zh: '系统通知会话不能回复',
  },

  60101: { status: 404, en: 'Conversation does not exist', zh: '会话不存在' },
  60102: { status: 404, en: 'Conversation has been deleted', zh: '会话已删除' },
  60103: { status: 500, en: 'Conversation could not be created', zh: '会话创建失败' },
  60104: { status: 500, en: 'Unread count error', zh: '未读数统计错误' },

  70101: { status: 413, en: 'File too large', zh: '文件过大' },
  70102: { status: 400, en: 'File type not supported', zh: '文件类型不支持' },
  70103: { status: 403, en: 'Storage quota exceeded', zh: '存储空间不足' },
  70104: { status: 400, en: 'File upload failed', zh: '文件上传失败' },
  70105: { status: 404, en: 'File does not exist', zh: '文件不存在' },
  70106: { status: 404, en: 'File has been deleted', zh: '文件已删除' },
  70107: { status: 403, en: 'File URL expired or invalid', zh: '文件URL已过期' },
  70108: { status: 404, en: 'Invalid upload id', zh: '分片上传ID无效' },
  70109: { status: 400, en: 'Wrong chunk index or chunk size', zh: '分片索引错误' },
  70110: { status: 400, en: 'File checksum does not match', zh: '文件MD5校验失败' },
  80103: { status: 503, en: 'Push service unavailable', zh: '推送服务不可用' },

  90101: { status: 503, en: 'Connection closed by the server', zh: '连接已断开' },
  90102: { status: 408, en: 'Heartbeat timeout', zh: '心跳超时' },
  90103: { status: 400, en: 'Malformed frame', zh: '消息格式错误' },
  90104: { status: 429, en: 'Too many connections', zh: '连接数超限' },
  90105: { status: 409, en: 'Replaced by a newer connection of the same device', zh: '重复连接' },

  100101: { status: 404, en: 'Call does not exist', zh: '通话不存在' },
  100102: { status: 400, en: 'Call has ended', zh: '通话已结束' },
  100103: { status: 400, en: 'The other party is in a call', zh: '对方正在通话中' },
  100104: { status: 400, en: 'The other party rejected the call', zh: '对方拒绝通话' },
  100105: { status: 400, en: 'No answer', zh: '对方无应答' },
  100106: { status: 404, en: 'Meeting does not exist', zh: '会议不存在' },
  100107: { status: 400, en: 'Meeting has ended', zh: '会议已结束' },
  100108: { status: 403, en: 'Wrong meeting password', zh: '会议密码错误' },
  100109: { status: 400, en: 'Meeting is full', zh: '会议人数已满' },
  100110: { status: 503, en: 'The LiveKit service is unavailable', zh: 'LiveKit服务不可用' },
  // A 4xx: the deployment offers no calls, like a feature switched off; nothing to retry later.
  100111: {
    status: 400,
    en: 'Calls are not configured on this server (no LiveKit)',
    zh: '服务器未配置音视频通话（LiveKit）',
  },
  100112: { status: 400, en: 'The call was answered on another device', zh: '已在其他设备接听' },
  // Like 100111: the deployment records nothing (no LiveKit Egress, or no S3 store for its files).
  100113: {
    status: 400,
    en: 'Recording is not configured on this server (no LiveKit Egress)',
    zh: '服务器未配置会议录制（LiveKit Egress）',
  },
  // LiveKit is there but no Egress worker took the job: worth retrying later.
  100114: {
    status: 503,
    en: 'No recorder is available, try again later',
    zh: '暂无可用的录制服务，请稍后重试',
  },
  100115: { status: 400, en: 'The meeting is being recorded already', zh: '会议已在录制中' },
  100116: { status: 400, en: 'The meeting is not being recorded', zh: '会议未在录制' },
  // The recording counts against its host's file quota (070103 for uploads).
  100117: {
    status: 403,
    en: "Storage quota exceeded: the host's storage cannot keep the recording",
    zh: '主持人存储空间不足，无法保存会议录制',
  },

  110101: { status: 404, en: 'Sync data does not exist', zh: '同步数据不存在' },
  110102: {
    status: 409,
    en: 'Sync position conflict: ahead of the server, sync again from 0',
    zh: '同步版本冲突',
  },
  110103: { status: 500, en: 'Sync failed', zh: '同步失败' },

  120101: { status: 404, en: 'Administrator does not exist', zh: '管理员不存在' },
  120102: { status: 401, en: 'Wrong administrator name or password', zh: '管理员密码错误' },
  120103: { status: 403, en: 'Missing administrator permission', zh: '无管理员权限' },
  120104: { status: 404, en: 'Role does not exist', zh: '角色不存在' },
  120105: { status: 404, en: 'Permission does not exist', zh: '权限不存在' },
};

export function codeInfo(code: number): CodeInfo {
  return CODES[code] ?? CODES[ErrorCode.UNKNOWN]!;
}

export function messageFor(code: number, language: Language): string {
  const info = codeInfo(code);
  return language === 'zh-CN' ? info.zh : info.en;
}

export interface AppErrorOptions {
  /** Extra detail for the client (why, which field); English, appended to the localized message. */
  detail?: string;
  data?: unknown;
  cause?: unknown;
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
}

export class AppError extends Error {
  readonly code: number;
  readonly detail: string | undefined;
  readonly data: unknown;
  readonly headers: Record<string, string>;

  constructor(code: number, options: AppErrorOptions = {}) {
    super(options.detail ?? codeInfo(code).en, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.detail = options.detail;
    this.data = options.data ?? null;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return codeInfo(this.code).status;
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
