import { GroupRole as GroupRoleCode } from './gen/anychat/group/v1/group_pb.ts';

/** What the group service's callers share (its contract: proto/anychat/group/v1; its events: events.ts). */

/**
 * The most members any group may be configured for (GROUP_MAX_MEMBERS): what consumers of group
 * events (system messages, timeline notifications) accept as recipients.
 */
export const GROUP_MEMBERS_CEILING = 100_000;

export const GROUP_ROLES = ['owner', 'admin', 'member'] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

/** The message path's view of a group (the contract's GetSendContextResponse, roles by name). */
export interface GroupSendContext {
  groupId: string;
  /** False when the group does not exist. */
  exists: boolean;
  dismissed: boolean;
  /** Everyone muted except owner and admins. */
  allMuted: boolean;
  /** New members see messages from before they joined. */
  historyVisible: boolean;
  /** The sender's membership; null when not a member. */
  member: { role: GroupRole; mutedUntil: string | null; joinedAt: string } | null;
  memberIds: string[];
}

/** A group as conversation lists show it (the contract's GroupBrief, no avatar as null). */
export interface GroupBrief {
  groupId: string;
  name: string;
  avatar: string | null;
  memberCount: number;
  dismissed: boolean;
}

const ROLE_CODES = {
  owner: GroupRoleCode.OWNER,
  admin: GroupRoleCode.ADMIN,
  member: GroupRoleCode.MEMBER,
} as const satisfies Record<GroupRole, GroupRoleCode>;

/** A member's role as the contract's enum carries it. */
export const groupRoleCode = (role: GroupRole): GroupRoleCode => ROLE_CODES[role];

/** The role an enum value names; an unknown or unset one reads as a plain member (the least rights). */
export function groupRoleOf(code: GroupRoleCode): GroupRole {
  return GROUP_ROLES.find((role) => ROLE_CODES[role] === code) ?? 'member';
}
