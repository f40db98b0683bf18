import type { SessionRevoked } from './gen/anychat/auth/v1/events_pb.ts';

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

/** The `auth.session.revoked` event (the gateway reads it under this name). */
export type SessionRevokedEvent = SessionRevoked;

/**
 * Account statuses: auth's `users.status` (seed §6.2.1, plus DELETED), what `accountStatusChanged`
 * carries and what AuthService.SetAccountStatus takes.
 */
export const AccountStatusCodes = { DISABLED: 0, ACTIVE: 1, FROZEN: 2, DELETED: 3 } as const;
