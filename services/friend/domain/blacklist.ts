import type { Config } from '../../platform/config.ts';
import type { ProfileSummary } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { BlacklistEntry } from '../entities.ts';
import type { FriendStore } from '../store/index.ts';
import type { FriendChanges } from './changes.ts';
import { FriendEvents } from './events.ts';
import type { Origin } from './types.ts';

/** Users someone blacklisted: no messages or friend requests from them. The blocked user is never told. */
export class Blacklist {
  readonly #store: FriendStore;
  readonly #changes: FriendChanges;
  readonly #limits: Config['friend'];

  constructor(store: FriendStore, changes: FriendChanges, limits: Config['friend']) {
    this.#store = store;
    this.#changes = changes;
    this.#limits = limits;
  }

  async add(origin: Origin, targetId: string): Promise<BlacklistEntry> {
    const userId = origin.userId;
    if (targetId === userId)
      throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'you cannot blacklist yourself' });
    const profiles = await this.#changes.profiles([targetId]);
    if (!profiles.has(targetId)) throw new AppError(ErrorCode.USER_NOT_FOUND, { detail: `user ${targetId}` });
    return this.#changes.write(async (w) => {
      await w.tx.lock([userId]);
      if (await w.tx.blacklists(userId, targetId)) throw new AppError(ErrorCode.ALREADY_BLACKLISTED);
      if ((await w.tx.blacklistSize(userId)) >= this.#limits.maxBlacklist)
        throw new AppError(ErrorCode.BLACKLIST_LIMIT, { detail: `at most ${this.#limits.maxBlacklist}` });
      const entry = w.tx.addToBlacklist(userId, targetId, new Date());
      // Only the user's own devices learn of it: the blocked user is never told.
      w.notify(
        FriendEvents.blacklistChanged,
        [userId],
        { action: 'added', userId: targetId, blockedAt: entry.createdAt.toISOString() },
        { origin },
      );
      return entry;
    });
  }

  async remove(origin: Origin, targetId: string): Promise<void> {
    const userId = origin.userId;
    await this.#changes.write(async (w) => {
      await w.tx.lock([userId]);
      if (!(await w.tx.removeFromBlacklist(userId, targetId))) throw new AppError(ErrorCode.NOT_BLACKLISTED);
      w.notify(FriendEvents.blacklistChanged, [userId], { action: 'removed', userId: targetId }, { origin });
    });
  }

  async list(
    userId: string,
    page: number,
    pageSize: number,
  ): Promise<{
    total: number;
    entries: Array<{ entry: BlacklistEntry; profile: ProfileSummary | undefined }>;
  }> {
    const { total, entries } = await this.#store.blacklistPage(userId, {
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    const profiles = await this.#changes.profiles(entries.map((entry) => entry.blockedUserId));
    return {
      total,
      entries: entries.map((entry) => ({ entry, profile: profiles.get(entry.blockedUserId) })),
    };
  }
}
