/** Who is calling, from a verified access token. */
export interface Principal {
  userId: string;
  sessionId: string;
  deviceId: string;
  deviceType: string;
  /** Present only for a bot token: what it may do (see scopes.ts); a user's token has none. */
  scopes?: readonly string[];
}

/** A platform administrator, from a verified admin token (never a chat user's token). */
export interface AdminPrincipal {
  adminId: string;
  username: string;
  role: string;
  permissions: readonly string[];
  /** The admin session the token belongs to (logout ends it). */
  sessionId: string;
}
