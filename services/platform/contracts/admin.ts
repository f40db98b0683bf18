/**
 * What the admin service reads of the other services (their *AdminService contracts, as domain
 * shapes) and what they publish for it (events.ts). The admin service owns admins, roles, bans, broadcasts, audit and system
 * configuration; the accounts, groups and messages it moderates stay with their owners.
 */

/** Account states as the admin API shows them. */
export const ACCOUNT_STATES = ['active', 'banned', 'frozen', 'deleted'] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

/** An account state as the contract carries it (a string); an unknown one reads as active. */
export const accountStateOf = (state: string): AccountState =>
  ACCOUNT_STATES.find((known) => known === state) ?? 'active';

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
