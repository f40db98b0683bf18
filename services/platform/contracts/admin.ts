/**
 * What the admin service asks of the other services (their `admin.*` internal methods) and what
 * they publish for it (events.ts). The admin service owns admins, roles, bans, broadcasts, audit and system
 * configuration; the accounts, groups and messages it moderates stay with their owners.
 */

/** Account states as the admin API shows them. */
export const ACCOUNT_STATES = ['active', 'banned', 'frozen', 'deleted'] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

/** An account state as the contract carries it (a string); an unknown one reads as active. */
export const accountStateOf = (state: string): AccountState =>
  ACCOUNT_STATES.find((known) => known === state) ?? 'active';

export const AuthAdminMethods = {
  /** Page of accounts, newest first: `AccountListRequest` → `AccountPage`. */
  list: 'admin.accounts.list',
  /** One account with its signed-in devices: `{userId}` → `AccountDetail` (10102 when unknown). */
  detail: 'admin.accounts.detail',
  /** Signs every device of an account out (FORCE_LOGOUT `admin_kick`): `{userId}` → `{devices}`. */
  kick: 'admin.accounts.kick',
  /** Deletes an account: sessions end (FORCE_LOGOUT `account_deleted`), login answers "not found": `{userId}` → null. */
  delete: 'admin.accounts.delete',
  /** Ids of active accounts after a cursor, ascending (broadcast fan-out): `{afterUserId, limit}` → `{userIds}`. */
  ids: 'admin.accounts.ids',
  /** `{newSince, activeSince}` (ISO times; two windows, one count of the accounts) → `AccountStats`. */
  stats: 'admin.accounts.stats',
} as const;

export interface AccountListRequest {
  /** Matches account, phone number or email (substring, case-insensitive). */
  keyword?: string;
  state?: AccountState;
  offset: number;
  limit: number;
}

export interface AccountSummary {
  userId: string;
  account: string;
  phoneNumber: string | null;
  email: string | null;
  state: AccountState;
  createdAt: string;
  lastLoginAt: string | null;
}

export interface AccountPage {
  total: number;
  items: AccountSummary[];
}

export interface AccountDetail extends AccountSummary {
  devices: Array<{ deviceId: string; deviceType: string; lastActiveAt: string; ip: string | null }>;
}

export interface AccountStats {
  total: number;
  /** Registered at or after `newSince`. */
  newSince: number;
  /** Logged in or refreshed a token at or after `activeSince`. */
  activeSince: number;
}

export const GroupAdminMethods = {
  /** `{keyword?, offset, limit}` → `{total, items: AdminGroupSummary[]}`. */
  list: 'admin.groups.list',
  /** `{groupId}` → `AdminGroupDetail` (40101-style not found when unknown). */
  detail: 'admin.groups.detail',
  /** `{groupId, reason}` → null; members are told as when the owner dismisses it. */
  dismiss: 'admin.groups.dismiss',
  /** `{groupId, userId}` → null; the member is told as when an admin removes them. */
  removeMember: 'admin.groups.remove-member',
  /** `{since}` → `GroupStats`. */
  stats: 'admin.groups.stats',
} as const;

export interface AdminGroupSummary {
  groupId: string;
  name: string;
  ownerId: string;
  memberCount: number;
  dismissed: boolean;
  createdAt: string;
}

export interface AdminGroupDetail extends AdminGroupSummary {
  announcement: string | null;
  members: Array<{ userId: string; role: string; joinedAt: string; mutedUntil: string | null }>;
}

export interface GroupStats {
  total: number;
  active: number;
  newSince: number;
}

export const MessageAdminMethods = {
  /** A conversation's messages for moderation, newest first: `{sessionId, beforeSeq?, limit}` → `{messages}`. */
  history: 'admin.messages.history',
  /** Recalls any message, whatever its age: `{messageId}` → `{messageId, sessionId}`. */
  recall: 'admin.messages.recall',
  /** `{minutes}` → `MessageStats`. */
  stats: 'admin.messages.stats',
} as const;

export interface MessageStats {
  total: number;
  /** Messages per minute for the last `minutes` minutes, oldest first (minutes without any included). */
  perMinute: Array<{ minute: string; count: number }>;
  /** Over the same window. */
  byContentType: Record<string, number>;
}

/** Shared-state key under which every gateway instance reports its open connections. */
export const GATEWAY_CONNECTIONS_KEY = 'gateway:connections';

export interface GatewayConnectionsReport {
  /** instanceId → its last report. A report older than three intervals means the instance is gone. */
  instances: Record<string, { connections: number; reportedAt: string }>;
}

/** Shared-state key of the sensitive-word filter the admin service configures. */
export const SENSITIVE_WORDS_KEY = 'admin:sensitive-words';

export interface SensitiveWordsPolicy {
  words: string[];
  /** `mask` replaces each match with `*`; `reject` refuses the text with the field's code (20102, 40111, 40112, 50105). */
  action: 'mask' | 'reject';
}
