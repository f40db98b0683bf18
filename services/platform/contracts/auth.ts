/** Events and internal methods of the auth service that other services rely on. */
export const AuthTopics = {
  userRegistered: 'auth.user.registered',
  /** A device session ended (logout, replaced by a newer login, password change, kicked, admin action): gateways disconnect it. */
  sessionRevoked: 'auth.session.revoked',
  passwordChanged: 'auth.password.changed',
  accountStatusChanged: 'auth.account.status-changed',
} as const;

export interface UserRegisteredEvent {
  userId: string;
  account: string;
  phoneNumber: string | null;
  email: string | null;
  nickname: string | null;
  registeredAt: string;
}

export type SessionRevokeReason =
  | 'logout'
  | 'replaced'
  | 'password_changed'
  | 'password_reset'
  | 'kicked'
  | 'account_blocked'
  | 'token_reuse'
  /** A platform administrator signed every device of the account out. */
  | 'admin_kick'
  /** The account was deleted by a platform administrator. */
  | 'account_deleted';

export interface SessionRevokedEvent {
  userId: string;
  sessionId: string;
  deviceId: string;
  deviceType: string;
  reason: SessionRevokeReason;
}

/**
 * Account statuses: auth's `users.status` (seed §6.2.1, plus DELETED), what `accountStatusChanged`
 * carries and what `accounts.set-status` takes.
 */
export const AccountStatusCodes = { DISABLED: 0, ACTIVE: 1, FROZEN: 2, DELETED: 3 } as const;

/** An administrator banned, froze, reactivated or deleted the account. */
export interface AccountStatusChangedEvent {
  userId: string;
  status: number;
}

export const AuthMethods = {
  jwks: 'jwks',
  setAccountStatus: 'accounts.set-status',
} as const;
