/**
 * What the CLI reads from the admin API: only the fields it shows, all loose (the service owns the
 * exact schema; JSON output passes its answers through untouched).
 */
export interface Page<T> {
  total?: number;
  items: T[];
}

export interface UserItem {
  userId: string;
  account?: string;
  nickname?: string;
  phoneNumber?: string | null;
  email?: string | null;
  state?: string;
  createdAt?: string;
  lastLoginAt?: string | null;
  ban?: { reason?: string; until?: string | null; bannedBy?: string } | null;
}

export interface UserDetail extends UserItem {
  online?: boolean;
  devices?: Array<{ deviceId: string; deviceType?: string; lastActiveAt?: string; ip?: string }>;
}

export interface GroupItem {
  groupId: string;
  name?: string;
  ownerId?: string;
  memberCount?: number;
  dismissed?: boolean;
  createdAt?: string;
}

export interface GroupDetail extends GroupItem {
  announcement?: string | null;
  members?: Array<{ userId: string; role?: string; joinedAt?: string; mutedUntil?: string | null }>;
}

export interface MessageItem {
  messageId: string;
  sessionId?: string;
  seq?: number | string;
  senderId?: string;
  contentType?: string | number;
  content?: unknown;
  recalled?: boolean;
  createdAt?: string;
}

export interface Broadcast {
  broadcastId: string;
  kind?: string;
  text?: string;
  status?: string;
  recipients?: number;
  createdAt?: string;
  finishedAt?: string | null;
}

export interface Stats {
  users?: { total?: number; newToday?: number; active24h?: number };
  connections?: {
    total?: number;
    gateways?: Array<{ instanceId: string; connections?: number; reportedAt?: string }>;
  };
  messages?: {
    total?: number;
    lastMinute?: number;
    perMinute?: Array<{ minute: string; count: number }>;
    byContentType?: Record<string, number>;
  };
  groups?: { total?: number; active?: number; newToday?: number };
  /** Null when the push service did not answer. */
  push?: { providers?: Array<{ provider: string; success?: number; failed?: number }> } | null;
  /** Null when the file service did not answer. */
  files?: { files?: number; bytes?: number; storedBytes?: number } | null;
  /** Calls and meetings over the period asked for; null when the rtc service did not answer. */
  calls?: {
    periodMinutes?: number;
    started?: number;
    answered?: number;
    missed?: number;
    meetings?: number;
    meetingMinutes?: number;
  } | null;
}

export interface PushTestResult {
  deviceId: string;
  provider: string;
  status: string;
  error?: string | null;
}

export interface AuditItem {
  id: string | number;
  actorType?: string;
  actorId?: string;
  actorName?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  details?: unknown;
  ip?: string;
  createdAt?: string;
}

export interface ConfigItem {
  key: string;
  value: unknown;
  updatedAt?: string;
  updatedBy?: string;
}

export interface SensitiveWords {
  words: string[];
  action: string;
}

export interface AdminAccount {
  adminId: string;
  username: string;
  role: string;
  email?: string | null;
  permissions?: string[];
  createdAt?: string;
  lastLoginAt?: string | null;
}

/** Lists may come as `{items}` or as a bare array; both are accepted. */
export function itemsOf<T>(answer: { items?: T[] } | T[] | null | undefined): T[] {
  if (Array.isArray(answer)) return answer;
  return answer?.items ?? [];
}
