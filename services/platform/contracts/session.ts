/** Internal methods of the session service that other services rely on. */
export const SessionMethods = {
  /** A user's pin and mute settings of some conversations (push skips muted ones). */
  settings: 'sessions.settings',
} as const;

export interface SessionSettingsRequest {
  userId: string;
  sessionIds: string[];
}

/** One entry per requested session id, in request order; conversations the user has none of read as not muted, not pinned. */
export interface SessionSettings {
  sessionId: string;
  isMuted: boolean;
  isPinned: boolean;
}
