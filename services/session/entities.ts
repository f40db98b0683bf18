import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * One user's view of one conversation: a projection fed by message events (last message, read
 * position) plus the user's own settings (pin, mute, delete). The row exists per (owner, session).
 */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    ownerId: p.bigint('string').primary(),
    sessionId: p.string().length(48).primary(),
    /** `single` or `group`. */
    sessionType: p.string().length(10),
    /** The peer user (single) or the group (group). */
    targetId: p.bigint('string'),
    lastMessageId: p.bigint('string').nullable(),
    lastSenderId: p.bigint('string').nullable(),
    lastContentType: p.string().length(32).nullable(),
    lastPreview: p.string().length(200).nullable(),
    /** Seq of the newest message seen; 0 before any. */
    lastSeq: p.bigint('number'),
    lastMessageAt: p.datetime().nullable(),
    lastRecalled: p.boolean(),
    /** Edits of the last message applied to its preview (the highest edit number seen). */
    lastEditVersion: p.integer().default(0),
    /** The owner has read everything up to this seq. */
    readSeq: p.bigint('number'),
    /** The owner cleared the history up to this seq. */
    clearedSeq: p.bigint('number'),
    /**
     * Null: listed. Otherwise the conversation is hidden until a message with a greater seq arrives
     * (set to the last seq when the owner deletes it; 0 for rows only known from a read or recall).
     */
    hiddenUntilSeq: p.bigint('number').nullable(),
    /** When the owner last deleted it from their list. */
    deletedAt: p.datetime().nullable(),
    isPinned: p.boolean(),
    isMuted: p.boolean(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type Session = InferEntity<typeof Session>;

/** A message the owner has not read yet (kept so that unread counts survive redelivery and reordering). */
export const SessionUnread = defineEntity({
  name: 'SessionUnread',
  tableName: 'session_unread',
  properties: {
    ownerId: p.bigint('string').primary(),
    sessionId: p.string().length(48).primary(),
    seq: p.bigint('number').primary(),
    messageId: p.bigint('string'),
    /** The message mentions the owner (or everyone). */
    mentioned: p.boolean(),
  },
});
export type SessionUnread = InferEntity<typeof SessionUnread>;

/** Recalled messages, so that a recall that arrives before its message still wins. */
export const RecalledMessage = defineEntity({
  name: 'RecalledMessage',
  tableName: 'recalled_messages',
  properties: {
    sessionId: p.string().length(48).primary(),
    seq: p.bigint('number').primary(),
    messageId: p.bigint('string'),
    recalledAt: p.datetime(),
  },
});
export type RecalledMessage = InferEntity<typeof RecalledMessage>;

export const sessionEntities = [Session, SessionUnread, RecalledMessage];
