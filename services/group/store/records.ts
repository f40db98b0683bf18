import type { GroupRole } from '../../platform/contracts/index.ts';
import type { Group, LeaveReason } from '../entities.ts';

/** One user's standing in a group. */
export interface Membership {
  role: GroupRole;
  groupNickname: string | null;
  mutedUntil: Date | null;
  joinedAt: Date;
}

/** A member as member lists show them (the profile comes from the user service). */
export interface MemberRecord extends Membership {
  userId: string;
}

/** A row of a user's group list: a group they are in, or one they are out of and why. */
export type ListedGroup =
  | { gone: false; version: number; group: Group; me: Membership }
  | { gone: true; groupId: string; reason: LeaveReason; version: number };

export interface ListedPage {
  groups: ListedGroup[];
  total: number;
  updateTime: number;
  hasMore: boolean;
}
