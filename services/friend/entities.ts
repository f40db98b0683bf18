import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** Friendship row status (seed §6.4.1): a deleted row stays so that incremental sync can report it. */
export const FriendshipStatus = { DELETED: 0, ACTIVE: 1 } as const;
export type FriendshipStatusValue = (typeof FriendshipStatus)[keyof typeof FriendshipStatus];

/** Stored request statuses; a pending request past its lifetime is shown as `expired` without a write. */
export const RequestStatus = {
  PENDING: 'pending',
  ACCEPTED: 'accepted',
  REJECTED: 'rejected',
  /** Replaced by a newer request to the same person. */
  EXPIRED: 'expired',
} as const;
export type RequestStatusValue = (typeof RequestStatus)[keyof typeof RequestStatus];

/**
 * One direction of a friendship (two rows per pair), with what the owner keeps about the friend:
 * remark, category, mute, star. `version` is the owner's sync cursor (see SyncClock).
 */
export const Friendship = defineEntity({
  name: 'Friendship',
  tableName: 'friendships',
  properties: {
    id: p.bigint('string').primary(),
    userId: p.bigint('string'),
    friendId: p.bigint('string'),
    remark: p.string().length(50).nullable(),
    categoryId: p.bigint('string').nullable(),
    isMuted: p.boolean(),
    isStarred: p.boolean(),
    status: p.smallint().$type<FriendshipStatusValue>(),
    version: p.bigint('number'),
    /** When they became friends. */
    createdAt: p.datetime(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type Friendship = InferEntity<typeof Friendship>;

export const FriendRequest = defineEntity({
  name: 'FriendRequest',
  tableName: 'friend_requests',
  properties: {
    id: p.bigint('string').primary(),
    fromUserId: p.bigint('string'),
    toUserId: p.bigint('string'),
    message: p.string().length(200).nullable(),
    source: p.string().length(20),
    status: p.string().length(20).$type<RequestStatusValue>(),
    createdAt: p.datetime(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    handledAt: p.datetime().nullable(),
  },
});
export type FriendRequest = InferEntity<typeof FriendRequest>;

export const BlacklistEntry = defineEntity({
  name: 'BlacklistEntry',
  tableName: 'blacklists',
  properties: {
    id: p.bigint('string').primary(),
    userId: p.bigint('string'),
    blockedUserId: p.bigint('string'),
    createdAt: p.datetime(),
  },
});
export type BlacklistEntry = InferEntity<typeof BlacklistEntry>;

/** A user's own friend category; friends without one are in the default category. */
export const FriendCategory = defineEntity({
  name: 'FriendCategory',
  tableName: 'friend_categories',
  properties: {
    id: p.bigint('string').primary(),
    userId: p.bigint('string'),
    name: p.string().length(20),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type FriendCategory = InferEntity<typeof FriendCategory>;

/** Per user: the last sync version handed out; its row lock serializes changes to that user's list. */
export const SyncVersion = defineEntity({
  name: 'SyncVersion',
  tableName: 'sync_versions',
  properties: {
    userId: p.bigint('string').primary(),
    version: p.bigint('number'),
  },
});
export type SyncVersion = InferEntity<typeof SyncVersion>;

/** Notifications written in the transaction of the change they report, published after commit. */

export const friendEntities = [Friendship, FriendRequest, BlacklistEntry, FriendCategory, SyncVersion];
