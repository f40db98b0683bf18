import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { GroupChanges } from './changes.ts';
import { GroupEvents } from './events.ts';
import { nameOf } from './notice-text.ts';
import { memberOf, requireOwner } from './rules.ts';
import type { Origin } from './types.ts';

/** Who runs a group: the owner hands it on, and makes members admins or plain members again. */
export class Ownership {
  readonly #changes: GroupChanges;

  constructor(changes: GroupChanges) {
    this.#changes = changes;
  }

  /** Hands the group to another member (owner only); the former owner stays as a plain member. */
  async transfer(origin: Origin, groupId: string, targetId: string): Promise<void> {
    const changes = this.#changes;
    const names = await changes.profiles([origin.userId, targetId]);
    await changes.write(async (w) => {
      const { group, members, me } = await changes.lock(w, groupId, origin.userId);
      // Permission first: whoever is not the owner is told so (40107), whatever they asked for.
      requireOwner(me);
      if (targetId === origin.userId)
        throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'you already own the group' });
      const target = memberOf(members, targetId);
      Object.assign(me!, { role: 'member', updatedAt: w.now });
      Object.assign(target, { role: 'owner', mutedUntil: null, updatedAt: w.now });
      Object.assign(group, { ownerId: targetId, updatedAt: w.now });
      const memberIds = members.map((m) => m.userId);
      await w.touch(groupId, memberIds);
      w.emit({
        kind: GroupEvents.ownerTransferred,
        groupId,
        recipients: memberIds,
        payload: { groupId, fromUserId: origin.userId, toUserId: targetId },
        origin,
        system: {
          text: `${nameOf(names, origin.userId)} made ${nameOf(names, targetId)} the group owner`,
        },
      });
    });
  }

  /** Makes a member an admin or a plain member again (owner only). */
  async setAdmin(origin: Origin, groupId: string, targetId: string, isAdmin: boolean): Promise<void> {
    const changes = this.#changes;
    const names = await changes.profiles([origin.userId, targetId]);
    await changes.write(async (w) => {
      const { members, me } = await changes.lock(w, groupId, origin.userId);
      requireOwner(me);
      const target = memberOf(members, targetId);
      if (target.role === 'owner')
        throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'the owner is not made or unmade an admin' });
      const role = isAdmin ? 'admin' : 'member';
      if (target.role === role) return;
      Object.assign(target, { role, updatedAt: w.now }, isAdmin ? { mutedUntil: null } : {});
      await w.touch(groupId, [targetId]);
      w.emit({
        kind: GroupEvents.adminChanged,
        groupId,
        recipients: members.map((m) => m.userId),
        payload: { groupId, userId: targetId, isAdmin, changedBy: origin.userId },
        origin,
        system: {
          text: isAdmin
            ? `${nameOf(names, targetId)} is now a group admin`
            : `${nameOf(names, targetId)} is no longer a group admin`,
        },
      });
    });
  }
}
