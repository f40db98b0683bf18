import type { MessageInitShape } from '@bufbuild/protobuf';
import type { InvokePort } from '../ports/index.ts';
import { BulkCalls, callBulk } from './bulk.ts';
import {
  GroupInvitePolicy as GroupInvitePolicyCode,
  type ProfileSummary,
  type ProfileSummarySchema,
} from './gen/anychat/user/v1/user_pb.ts';

export type { ProfileSummary };
export type ProfileSummaryInit = MessageInitShape<typeof ProfileSummarySchema>;

/**
 * Who may add a user to a group directly (a privacy setting): `friends` (their friends), `nobody`
 * (every addition is an invitation they accept or decline), `everyone` (anyone, where the platform
 * lets strangers message each other; elsewhere a stranger's addition is still an invitation).
 */
export const GROUP_INVITE_POLICIES = ['everyone', 'friends', 'nobody'] as const;
export type GroupInvitePolicy = (typeof GROUP_INVITE_POLICIES)[number];
export const DEFAULT_GROUP_INVITE_POLICY: GroupInvitePolicy = 'friends';

const POLICY_CODES = {
  everyone: GroupInvitePolicyCode.EVERYONE,
  friends: GroupInvitePolicyCode.FRIENDS,
  nobody: GroupInvitePolicyCode.NOBODY,
} as const satisfies Record<GroupInvitePolicy, GroupInvitePolicyCode>;

/** A group invite policy as the contract's enum carries it. */
export const groupInvitePolicyCode = (policy: GroupInvitePolicy): GroupInvitePolicyCode =>
  POLICY_CODES[policy];

/** The policy an enum value names; an unknown or unset one reads as the default. */
export function groupInvitePolicyOf(code: GroupInvitePolicyCode): GroupInvitePolicy {
  return GROUP_INVITE_POLICIES.find((policy) => POLICY_CODES[policy] === code) ?? DEFAULT_GROUP_INVITE_POLICY;
}

/** Brief profiles of these users (each asked once), from the user service in calls it accepts. */
export async function profilesOf(
  invoke: InvokePort,
  userIds: Iterable<string>,
): Promise<Map<string, ProfileSummary>> {
  const profiles = await callBulk(invoke, BulkCalls.profiles, userIds, {});
  return new Map(profiles.map((profile) => [profile.userId, profile]));
}

export interface GroupInvitePolicyEntry {
  userId: string;
  groupInvitePolicy: GroupInvitePolicy;
}

/** A new account's profile, as the user service's domain creates it (null: not given). */
export interface CreateProfileRequest {
  userId: string;
  account: string;
  phoneNumber: string | null;
  email: string | null;
  nickname: string | null;
  /** A bot account's owner (auth's bots); absent for a registration. */
  botOwnerId?: string;
  /** A bot's avatar URL; absent for a registration. */
  avatar?: string | null;
}
