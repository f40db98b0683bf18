import type { GroupChanges } from './changes.ts';
import { GroupEvents } from './events.ts';
import { nameOf } from './notice-text.ts';
import { requireAdmin, targetOf } from './rules.ts';
import type { Origin } from './types.ts';

/** Muting one member for a while (muting everyone is a group setting, see groups.ts). */
export class Mutes {
  readonly #changes: GroupChanges;

  constructor(changes: GroupChanges) {
    this.#changes = changes;
  }

  /** Mutes a member for `seconds` (0 lifts it): the owner mutes anyone else, admins plain members. */
  async muteMember(
    origin: Origin,
    groupId: string,
    targetId: string | null,
    seconds: number,
  ): Promise<{ userId: string; mutedUntil: Date | null }> {
    const changes = this.#changes;
    const names = await changes.profiles(targetId ? [origin.userId, targetId] : [origin.userId]);
    return changes.write(async (w) => {
      const { members, me } = await changes.lock(w, groupId, origin.userId);
      requireAdmin(me);
      const target = targetOf(members, targetId, me!, 'muted');
      const userId = target.userId;
      const mutedUntil = seconds > 0 ? new Date(w.now.getTime() + seconds * 1000) : null;
      Object.assign(target, { mutedUntil, updatedAt: w.now });
      await w.touch(groupId, [userId]);
      w.emit({
        kind: GroupEvents.memberMuted,
        groupId,
        recipients: members.map((m) => m.userId),
        payload: {
          groupId,
          userId,
          seconds,
          mutedUntil: mutedUntil?.toISOString() ?? null,
          mutedBy: origin.userId,
        },
        origin,
        system: {
          text: mutedUntil
            ? `${nameOf(names, origin.userId)} muted ${nameOf(names, userId)} for ${seconds} s`
            : `${nameOf(names, origin.userId)} unmuted ${nameOf(names, userId)}`,
        },
      });
      return { userId, mutedUntil };
    });
  }
}
