import type { Group } from '../entities.ts';
import type { Actor } from './types.ts';

/** Notification kinds the group service appends to users' timelines (and system messages it asks for). */
export const GroupEvents = {
  created: 'group.created',
  memberJoined: 'group.member.joined',
  memberRemoved: 'group.member.removed',
  memberLeft: 'group.member.left',
  memberUpdated: 'group.member.updated',
  updated: 'group.updated',
  announcement: 'group.announcement',
  dismissed: 'group.dismissed',
  adminChanged: 'group.admin.changed',
  ownerTransferred: 'group.owner.transferred',
  muted: 'group.muted',
  memberMuted: 'group.member.muted',
  joinRequested: 'group.join.requested',
  joinHandled: 'group.join.handled',
  /** To invitees: someone invited them (again); they accept or decline. */
  invited: 'group.invited',
  /** To the invitee's devices and the inviter: the invitation was accepted or declined. */
  invitationHandled: 'group.invitation.handled',
} as const;

/**
 * Most members a timeline notice names (`memberIds` of group.created; `userIds` and `users` of
 * group.member.joined, with `joinedCount` the whole number). A notice is copied into every member's
 * timeline, so a list as long as the group would make one change cost members × members: 500 added
 * to a group of 2,000 was 2,000 copies of 500 profiles, and ran the platform out of memory
 * (BENCHMARKS.md, "Group notices"). The group's system message, stored once, names everyone; a
 * client told of more than are named reloads the member list.
 */
export const NOTICE_LIST_MAX = 20;

/** The group as notices describe it. */
export function briefPayload(group: Group): Record<string, unknown> {
  return {
    groupId: group.id,
    name: group.name,
    avatar: group.avatar ?? null,
    memberCount: group.memberCount,
  };
}

/** What a notice adds when the platform administrator made the change. */
export function administratorPart(actor: Actor): Record<string, unknown> {
  if (!actor.byAdministrator) return {};
  return { byAdministrator: true, ...(actor.reason ? { reason: actor.reason } : {}) };
}
