import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import type { GroupRole } from '../platform/contracts/index.ts';

/** Group row status: a dismissed group stays so that its members' lists can report it. */
export const GroupStatus = { DISMISSED: 0, ACTIVE: 1 } as const;
export type GroupStatusValue = (typeof GroupStatus)[keyof typeof GroupStatus];

/** Membership row status: a row of someone who is gone stays so that incremental sync can report it. */
export const MemberStatus = { GONE: 0, ACTIVE: 1 } as const;
export type MemberStatusValue = (typeof MemberStatus)[keyof typeof MemberStatus];

/** Why a membership ended. */
export const LEAVE_REASONS = ['left', 'removed', 'dismissed'] as const;
export type LeaveReason = (typeof LEAVE_REASONS)[number];

export const JoinRequestStatus = {
  PENDING: 'pending',
  ACCEPTED: 'accepted',
  REJECTED: 'rejected',
} as const;
export type JoinRequestStatusValue = (typeof JoinRequestStatus)[keyof typeof JoinRequestStatus];

/** A group with its settings (seed §6.5.1 and §6.5.3 in one row: they are read together). */
export const Group = defineEntity({
  name: 'Group',
  tableName: 'groups',
  properties: {
    id: p.bigint('string').primary(),
    name: p.string().length(100),
    avatar: p.string().length(255).nullable(),
    announcement: p.text().nullable(),
    announcementBy: p.bigint('string').nullable(),
    announcementAt: p.datetime().nullable(),
    ownerId: p.bigint('string'),
    memberCount: p.integer(),
    /** Everyone muted except owner and admins. */
    allMuted: p.boolean(),
    joinVerify: p.boolean(),
    /** Plain members may invite. */
    memberInvite: p.boolean(),
    /** New members see messages from before they joined. */
    historyVisible: p.boolean(),
    /** Members may add each other as friends. */
    memberAddFriend: p.boolean(),
    status: p.smallint().$type<GroupStatusValue>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    dismissedAt: p.datetime().nullable(),
  },
});
export type Group = InferEntity<typeof Group>;

/**
 * One user's membership of one group. `version` is that user's group-list sync cursor (see
 * SyncClock): it moves whenever what the user's list shows of this group changes.
 */
export const GroupMember = defineEntity({
  name: 'GroupMember',
  tableName: 'group_members',
  properties: {
    id: p.bigint('string').primary(),
    groupId: p.bigint('string'),
    userId: p.bigint('string'),
    role: p.string().length(10).$type<GroupRole>(),
    groupNickname: p.string().length(50).nullable(),
    mutedUntil: p.datetime().nullable(),
    status: p.smallint().$type<MemberStatusValue>(),
    leftReason: p.string().length(20).$type<LeaveReason>().nullable(),
    version: p.bigint('number'),
    joinedAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type GroupMember = InferEntity<typeof GroupMember>;

export const GroupJoinRequest = defineEntity({
  name: 'GroupJoinRequest',
  tableName: 'group_join_requests',
  properties: {
    id: p.bigint('string').primary(),
    groupId: p.bigint('string'),
    userId: p.bigint('string'),
    message: p.string().length(200).nullable(),
    /** `request` (asked to join) or `qrcode` (scanned the group's code). */
    source: p.string().length(20),
    status: p.string().length(20).$type<JoinRequestStatusValue>(),
    handledBy: p.bigint('string').nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    handledAt: p.datetime().nullable(),
  },
});
export type GroupJoinRequest = InferEntity<typeof GroupJoinRequest>;

/**
 * An invitation to a group for a user who may not be added directly (not the inviter's friend, or
 * their privacy setting says so). One per group and invitee: inviting again renews it. Accepting
 * or declining removes it; past `expiresAt` it no longer counts.
 */
export const GroupInvitation = defineEntity({
  name: 'GroupInvitation',
  tableName: 'group_invitations',
  properties: {
    id: p.bigint('string').primary(),
    groupId: p.bigint('string'),
    inviteeId: p.bigint('string'),
    inviterId: p.bigint('string'),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
  },
});
export type GroupInvitation = InferEntity<typeof GroupInvitation>;

/** Per user: the last group-list sync version handed out; its row lock orders changes to that list. */
export const GroupSyncVersion = defineEntity({
  name: 'GroupSyncVersion',
  tableName: 'sync_versions',
  properties: {
    userId: p.bigint('string').primary(),
    version: p.bigint('number'),
  },
});
export type GroupSyncVersion = InferEntity<typeof GroupSyncVersion>;

export const groupEntities = [Group, GroupMember, GroupJoinRequest, GroupInvitation, GroupSyncVersion];
