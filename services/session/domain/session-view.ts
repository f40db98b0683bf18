import type { SessionKind, SessionRow } from './session-store.ts';

/** Shown instead of a recalled last message; clients may replace it with their own wording. */
export const RECALLED_PREVIEW = '[recalled]';

/**
 * A conversation as its owner sees it in their list: what the routes answer and what the owner's
 * other devices are told (`session.updated`). Times are ISO 8601 text, as both carry them.
 */
export type Session = {
  sessionId: string;
  sessionType: SessionKind;
  targetId: string;
  /** The peer's nickname (single) or the group's name. */
  name: string | null;
  avatar: string | null;
  lastMessage: {
    messageId: string;
    senderId: string;
    contentType: string;
    preview: string;
    seq: number;
    timestamp: string;
    recalled: boolean;
  } | null;
  unreadCount: number;
  mentionUnread: number;
  readSeq: number;
  isPinned: boolean;
  isMuted: boolean;
  /** Removed from the list by its owner (incremental sync reports it). */
  deleted: boolean;
  createdAt: string;
  updatedAt: string;
};

/**
 * The owner's view of a stored conversation: a last message cleared from their history is not
 * shown, a recalled one shows RECALLED_PREVIEW, and a removed conversation counts nothing unread.
 */
export function sessionOf(
  row: SessionRow,
  look: { nickname: string; avatar?: string | null | undefined } | undefined,
): Session {
  const hasLast =
    row.lastMessageId !== null &&
    row.lastMessageAt !== null &&
    row.lastSeq > 0 &&
    row.lastSeq > row.clearedSeq;
  return {
    sessionId: row.sessionId,
    sessionType: row.sessionType,
    targetId: row.targetId,
    name: look?.nickname ?? null,
    avatar: look?.avatar ?? null,
    lastMessage: hasLast
      ? {
          messageId: row.lastMessageId!,
          senderId: row.lastSenderId ?? '',
          contentType: row.lastContentType ?? '',
          preview: row.lastRecalled ? RECALLED_PREVIEW : (row.lastPreview ?? ''),
          seq: row.lastSeq,
          timestamp: row.lastMessageAt!.toISOString(),
          recalled: row.lastRecalled,
        }
      : null,
    unreadCount: row.visible ? row.unreadCount : 0,
    mentionUnread: row.visible ? row.mentionUnread : 0,
    readSeq: row.readSeq,
    isPinned: row.isPinned,
    isMuted: row.isMuted,
    deleted: !row.visible,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
