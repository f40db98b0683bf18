import {
  DEFAULT_GROUP_INVITE_POLICY,
  type GroupInvitePolicy,
  type GroupRole,
  type ProfileSummary,
} from '../../platform/contracts/index.ts';
import { ErrorCode } from '../../platform/errors.ts';
import type { PeopleClient } from '../clients/directory.ts';

/** Why a user could not be added or invited. */
export interface AddFailure {
  userId: string;
  code: number;
  reason: 'user_not_found' | 'blocked' | 'already_member';
}

/** Who of the users someone wants in a group joins at once, who gets an invitation, and who neither. */
export interface Admission {
  direct: string[];
  invited: string[];
  failures: AddFailure[];
}

/** Owners and admins may always invite; plain members while the group's member invites are on. */
export function mayInvite(group: { memberInvite: boolean }, role: GroupRole): boolean {
  return role !== 'member' || group.memberInvite;
}

/**
 * Whether a user may be put into a group without their consent. Strangers never are where the
 * platform keeps strangers from messaging each other (MESSAGE_ALLOW_STRANGERS=false): a group
 * would be a way around it.
 */
function joinsDirectly(policy: GroupInvitePolicy, isFriend: boolean, allowStrangers: boolean): boolean {
  if (policy === 'nobody') return false;
  if (policy === 'friends') return isFriend;
  return isFriend || allowStrangers;
}

/**
 * Sorts the users `inviterId` wants in a group: unknown and deleted accounts and users who
 * blacklisted the inviter fail; the others join at once or get an invitation, by their friendship
 * with the inviter and their "who may add me to groups" setting. Asks the friend and user
 * services in bulk, in calls they accept.
 */
export async function admit(
  people: PeopleClient,
  options: {
    inviterId: string;
    candidates: string[];
    profiles: Map<string, ProfileSummary>;
    allowStrangers: boolean;
  },
): Promise<Admission> {
  const failures: AddFailure[] = [];
  const known: string[] = [];
  for (const id of options.candidates) {
    const profile = options.profiles.get(id);
    if (profile && !profile.accountDeleted) known.push(id);
    else failures.push({ userId: id, code: ErrorCode.USER_NOT_FOUND, reason: 'user_not_found' });
  }
  const [relations, policies] = await Promise.all([
    people.relations(options.inviterId, known),
    people.groupInvitePolicies(known),
  ]);
  const direct: string[] = [];
  const invited: string[] = [];
  for (const id of known) {
    const relation = relations.get(id);
    if (relation?.blockedByPeer) {
      failures.push({ userId: id, code: ErrorCode.BLOCKED_BY_PEER, reason: 'blocked' });
      continue;
    }
    const policy = policies.get(id) ?? DEFAULT_GROUP_INVITE_POLICY;
    if (joinsDirectly(policy, relation?.isFriend === true, options.allowStrangers)) direct.push(id);
    else invited.push(id);
  }
  return { direct, invited, failures };
}
