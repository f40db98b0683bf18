import type { GroupRole } from '../../platform/contracts/index.ts';
import { SYSTEM_SENDER } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { type GroupMember, GroupStatus } from '../entities.ts';
import type { GroupStore } from '../store/index.ts';
import type { AddFailure } from './admission.ts';
import { type GroupChanges, membershipOf } from './changes.ts';
import { administratorPart, GroupEvents } from './events.ts';
import type { GroupInvitations } from './invitations.ts';
import { nameOf, namesOf } from './notice-text.ts';
import { assertActive, memberOf, requireAdmin, requireInviter, targetOf } from './rules.ts';
import {
  type Actor,
  ADMINISTRATOR,
  type AddOutcome,
  type GroupView,
  type Locked,
  type MemberView,
  type Origin,
  type WriteContext,
} from './types.ts';

export interface MembersDeps {
  store: GroupStore;
  changes: GroupChanges;
  invitations: GroupInvitations;
}

const ROLE_RANK: Record<GroupRole, number> = { owner: 0, admin: 1, member: 2 };

/** Owner first, then admins, then by joining time (as the member list's statement orders them). */
const byRank = (a: GroupMember, b: GroupMember) =>
  ROLE_RANK[a.role] - ROLE_RANK[b.role] ||
  a.joinedAt.getTime() - b.joinedAt.getTime() ||
  (BigInt(a.userId) < BigInt(b.userId) ? -1 : 1);

/** Who is in a group: listing members, inviting, leaving, removing, group nicknames. */
export class Members {
  readonly #deps: MembersDeps;

  constructor(deps: MembersDeps) {
    this.#deps = deps;
  }

  /** Members (owner first, then admins, then by joining time); members only. */
  async list(
    userId: string,
    groupId: string,
    options: { keyword?: string | undefined; page: number; pageSize: number },
  ): Promise<{ total: number; members: MemberView[] }> {
    const { store, changes } = this.#deps;
    const group = await store.group(groupId);
    if (!group) throw new AppError(ErrorCode.GROUP_NOT_FOUND);
    if (group.status === GroupStatus.DISMISSED) throw new AppError(ErrorCode.GROUP_DISMISSED);
    if (!(await store.isMember(groupId, userId))) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
    const offset = (options.page - 1) * options.pageSize;
    const keyword = options.keyword?.toLowerCase();
    if (!keyword) {
      const { total, members } = await store.memberPage(groupId, { limit: options.pageSize, offset });
      const profiles = await changes.profiles(members.map((member) => member.userId));
      return {
        total,
        members: members.map((member) => ({ ...member, profile: profiles.get(member.userId) })),
      };
    }
    // Nicknames live in the user service: a search looks at every member (a group is at most a few hundred).
    const rows = (await store.activeMembers(groupId)).sort(byRank);
    const profiles = await changes.profiles(rows.map((row) => row.userId));
    const matching = rows.filter((row) =>
      [row.groupNickname, profiles.get(row.userId)?.nickname, row.userId].some((text) =>
        text?.toLowerCase().includes(keyword),
      ),
    );
    return {
      total: matching.length,
      members: matching.slice(offset, offset + options.pageSize).map((row) => ({
        userId: row.userId,
        profile: profiles.get(row.userId),
        ...membershipOf(row),
      })),
    };
  }

  /**
   * Adds users to the group, or invites those who may not be added directly (they accept or
   * decline). Plain members may invite only while member invites are on. Users who do not exist,
   * blacklisted the inviter or are members already are reported, neither added nor invited.
   */
  async invite(
    origin: Origin,
    groupId: string,
    userIds: string[],
  ): Promise<AddOutcome & { memberCount: number }> {
    const { changes } = this.#deps;
    const inviterId = origin.userId;
    // Permission first, before other users are looked at.
    const seen = await changes.view(inviterId, groupId);
    assertActive(seen.group);
    requireInviter(seen.group, seen.me);
    const candidates = [...new Set(userIds)].filter((id) => id !== inviterId);
    const profiles = await changes.profiles([inviterId, ...candidates]);
    const admission = await changes.admit(inviterId, candidates, profiles);
    return changes.write(async (w) => {
      const locked = await changes.lock(w, groupId, inviterId);
      const { group, members, me } = locked;
      requireInviter(group, me ? membershipOf(me) : null);
      const current = new Set(members.map((m) => m.userId));
      const failures: AddFailure[] = [
        ...candidates
          .filter((id) => current.has(id))
          .map((id) => ({
            userId: id,
            code: ErrorCode.GROUP_ALREADY_MEMBER,
            reason: 'already_member' as const,
          })),
        ...admission.failures.filter((failure) => !current.has(failure.userId)),
      ];
      const added = admission.direct.filter((id) => !current.has(id));
      const invited = admission.invited.filter((id) => !current.has(id));
      const max = changes.maxMembers;
      if (members.length + added.length + invited.length > max)
        throw new AppError(ErrorCode.GROUP_FULL, {
          detail: `at most ${max} members; ${Math.max(0, max - members.length)} more can join`,
        });
      if (added.length > 0)
        await changes.addMembers(w, locked, added, {
          origin,
          via: 'invite',
          text: `${nameOf(profiles, inviterId)} invited ${namesOf(profiles, added)}`,
          inviterId,
          profiles,
        });
      await this.#deps.invitations.issue(w, group, inviterId, invited, profiles);
      return { successIds: added, invitedIds: invited, failures, memberCount: group.memberCount };
    });
  }

  /** Leaves the group; the owner must transfer it first. */
  async exit(origin: Origin, groupId: string): Promise<void> {
    const { changes } = this.#deps;
    const names = await changes.profiles([origin.userId]);
    await changes.write(async (w) => {
      const locked = await changes.lock(w, groupId, origin.userId);
      const { group, members, me } = locked;
      if (!me) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
      if (me.role === 'owner')
        throw new AppError(ErrorCode.GROUP_OWNER_CANNOT_EXIT, { detail: 'transfer the group first' });
      await changes.drop(w, locked, me, 'left');
      const remaining = members.filter((m) => m.userId !== me.userId).map((m) => m.userId);
      w.emit({
        kind: GroupEvents.memberLeft,
        groupId,
        recipients: [...remaining, me.userId],
        payload: { groupId, userId: me.userId, memberCount: group.memberCount },
        origin,
        system: { text: `${nameOf(names, me.userId)} left the group`, recipients: remaining },
      });
    });
  }

  /** Removes a member: the owner removes anyone but himself, admins remove plain members only. */
  async remove(origin: Origin, groupId: string, targetId: string): Promise<void> {
    const { changes } = this.#deps;
    const names = await changes.profiles([origin.userId, targetId]);
    await changes.write(async (w) => {
      const locked = await changes.lock(w, groupId, origin.userId);
      requireAdmin(locked.me);
      const target = targetOf(locked.members, targetId, locked.me!, 'removed');
      await this.#removeLocked(
        w,
        locked,
        target,
        { by: origin.userId, origin },
        `${nameOf(names, origin.userId)} removed ${nameOf(names, targetId)} from the group`,
      );
    });
  }

  /**
   * The platform administrator removes a member, admins included; never the owner (40109: the
   * administrator dismisses the group instead). The members are told as when an admin removes one.
   */
  async removeByAdministrator(groupId: string, targetId: string): Promise<void> {
    const { changes } = this.#deps;
    const names = await changes.profiles([targetId]);
    await changes.write(async (w) => {
      const locked = await changes.lock(w, groupId, SYSTEM_SENDER);
      const target = memberOf(locked.members, targetId);
      if (target.role === 'owner')
        throw new AppError(ErrorCode.GROUP_CANNOT_REMOVE_OWNER, {
          detail: 'the owner cannot be removed; dismiss the group instead',
        });
      await this.#removeLocked(
        w,
        locked,
        target,
        ADMINISTRATOR,
        `The platform administrator removed ${nameOf(names, targetId)} from the group`,
      );
    });
  }

  /** My nickname in this group (null clears it). */
  async setNickname(origin: Origin, groupId: string, nickname: string | null): Promise<GroupView> {
    const { changes } = this.#deps;
    return changes.write(async (w) => {
      const { group, members, me } = await changes.lock(w, groupId, origin.userId);
      if (!me) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
      if ((me.groupNickname ?? null) !== nickname) {
        Object.assign(me, { groupNickname: nickname, updatedAt: w.now });
        await w.touch(groupId, [me.userId]);
        w.emit({
          kind: GroupEvents.memberUpdated,
          groupId,
          recipients: members.map((m) => m.userId),
          payload: { groupId, userId: me.userId, groupNickname: nickname },
          origin,
        });
      }
      return changes.viewOf(group, me);
    });
  }

  async #removeLocked(
    w: WriteContext,
    locked: Locked,
    target: GroupMember,
    actor: Actor,
    text: string,
  ): Promise<void> {
    const { group, members } = locked;
    await this.#deps.changes.drop(w, locked, target, 'removed');
    w.emit({
      kind: GroupEvents.memberRemoved,
      groupId: group.id,
      recipients: members.map((m) => m.userId),
      payload: {
        groupId: group.id,
        userId: target.userId,
        removedBy: actor.by,
        memberCount: group.memberCount,
        ...administratorPart(actor),
      },
      origin: actor.origin,
      system: { text },
    });
  }
}
