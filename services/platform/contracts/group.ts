import { bulkMethod } from './bulk.ts';
import { GroupRole as GroupRoleCode } from './gen/anychat/group/v1/group_pb.ts';

/** Internal methods of the group service that other services rely on (its events: events.ts). */
export const GroupMethods = {
  /**
   * Everything the message path needs to accept a group message from `userId`: the group's state,
   * the sender's standing and the members to fan out to. Cached by callers; `group.changed` tells
   * them when to forget it.
   */
  sendContext: 'groups.send-context',
  /** Names and avatars of groups (conversation lists). */
  briefs: 'groups.briefs',
} as const;

/**
 * The most members any group may be configured for (GROUP_MAX_MEMBERS): what consumers of group
 * events (system messages, timeline notifications) accept as recipients.
 */
export const GROUP_MEMBERS_CEILING = 100_000;

export const GROUP_ROLES = ['owner', 'admin', 'member'] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

export interface GroupSendContextRequest {
  groupId: string;
  userId: string;
}

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

export interface GroupBriefsRequest {
  groupIds: string[];
}

export interface GroupBrief {
  groupId: string;
  name: string;
  avatar: string | null;
  memberCount: number;
  dismissed: boolean;
}

/** The bulk methods of the group service. */
export const GroupBulkMethods = {
  /** `{groupIds}` → a `GroupBrief` per known group. */
  briefs: bulkMethod<GroupBrief>('group', GroupMethods.briefs, 'groupIds'),
};

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
