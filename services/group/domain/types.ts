import { type Origin, type ProfileSummary, SYSTEM_SENDER } from '../../platform/contracts/index.ts';
import type { Group, GroupJoinRequest, GroupMember, LeaveReason } from '../entities.ts';
import type { GroupWrites, Membership } from '../store/index.ts';
import type { AddFailure } from './admission.ts';

export type { Membership } from '../store/index.ts';

export const SETTING_KEYS = [
  'allMuted',
  'memberInvite',
  'joinVerify',
  'historyVisible',
  'memberAddFriend',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];
export type GroupSettings = Record<SettingKey, boolean>;

export type { Origin };

/**
 * Who made a change, as notices tell it: a member (their device learns of it through sync only),
 * or the platform administrator (`by` is SYSTEM_SENDER and the payload says `byAdministrator`).
 */
export interface Actor {
  by: string;
  origin?: Origin;
  byAdministrator?: boolean;
  reason?: string | undefined;
}

export const ADMINISTRATOR: Actor = { by: SYSTEM_SENDER, byAdministrator: true };

/** How users come into a group, as the notices tell it. */
export interface AddHow {
  origin: Origin;
  via: 'invite' | 'request' | 'qrcode' | 'invitation';
  /** The system message's text. */
  text: string;
  inviterId?: string;
  profiles: Map<string, ProfileSummary>;
}

/** Who a create or invite call added, who it invited (they accept or decline), who neither. */
export interface AddOutcome {
  successIds: string[];
  invitedIds: string[];
  failures: AddFailure[];
}

export interface GroupView {
  group: Group;
  maxMembers: number;
  /** The viewer's membership; null for a non-member (who sees the public part only). */
  me: Membership | null;
}

export type GroupChange =
  | ({ gone: false; version: number } & GroupView)
  | { gone: true; groupId: string; reason: LeaveReason; version: number };

export interface GroupPage {
  groups: GroupChange[];
  total: number;
  updateTime: number;
  hasMore: boolean;
}

export interface MemberView extends Membership {
  userId: string;
  profile: ProfileSummary | undefined;
}

export interface JoinRequestView {
  request: GroupJoinRequest;
  applicant: ProfileSummary | undefined;
}

export interface JoinOutcome {
  status: 'pending' | 'joined';
  requestId: string | null;
  groupId: string;
}

export interface EmitOptions {
  kind: string;
  groupId: string;
  /** Timeline recipients. */
  recipients: string[];
  payload: Record<string, unknown>;
  origin?: Origin | undefined;
  /**
   * A system message in the group conversation; omitted for events that are not posted there.
   * `data` (default: the payload) is stored once for the group, so it may list every member the
   * change names; the timeline payload is copied to every recipient and must not (see noticeList).
   */
  system?: { text: string; recipients?: string[]; data?: Record<string, unknown> };
  /** Publish `group.changed` (default true). */
  changed?: boolean;
}

export interface WriteContext {
  tx: GroupWrites;
  now: Date;
  /** Moves the group-list rows of these users for this group to new sync versions; once per transaction. */
  touch(groupId: string, userIds: string[]): Promise<void>;
  emit(options: EmitOptions): void;
}

/** A group read under its row lock, with its active members. */
export interface Locked {
  group: Group;
  members: GroupMember[];
  me: GroupMember | undefined;
}
