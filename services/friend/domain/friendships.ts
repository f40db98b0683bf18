import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { PresenceRegistry } from '../../platform/presence/index.ts';
import type { UserClient } from '../clients/users.ts';
import { FriendshipStatus } from '../entities.ts';
import type { FriendListOptions, FriendRecord, FriendStore } from '../store/index.ts';
import type { FriendChanges } from './changes.ts';
import { FriendEvents } from './events.ts';
import type {
  FriendChange,
  FriendPage,
  FriendSettingsChanges,
  FriendView,
  Origin,
  PresenceView,
} from './types.ts';

export interface FriendshipsDeps {
  store: FriendStore;
  changes: FriendChanges;
  presence: PresenceRegistry;
  users: UserClient;
  logger: Logger;
}

const OFFLINE: PresenceView = { online: false, platforms: [], lastActiveAt: null };

/** A user's friends as their list shows them: listing, remarks, categories, mute and star, deleting. */
export class Friendships {
  readonly #deps: FriendshipsDeps;

  constructor(deps: FriendshipsDeps) {
    this.#deps = deps;
  }

  /**
   * Without `since`: one page of friends (optionally of one category; `null` = the default one).
   * With `since`: the changes after that cursor in version order, deletions included, `pageSize`
   * at a time; `updateTime` is the cursor to continue from.
   */
  async list(userId: string, options: FriendListOptions): Promise<FriendPage> {
    const { store } = this.#deps;
    if (typeof options.categoryId === 'string' && !(await store.category(userId, options.categoryId)))
      throw new AppError(ErrorCode.NOT_FOUND, { detail: `category ${options.categoryId}` });
    const { rows, ...page } = await store.friendListPage(userId, options);
    return { friends: await this.#changes(rows), ...page };
  }

  /** One friend as in the friend list; 30107 when not a friend. */
  async get(userId: string, friendId: string): Promise<FriendView> {
    const row = await this.#deps.store.friendship(userId, friendId);
    if (!row) throw new AppError(ErrorCode.FRIEND_NOT_FOUND);
    const [view] = await this.#views([row]);
    return view!;
  }

  /** Ends a friendship on both sides. */
  async delete(origin: Origin, friendId: string): Promise<void> {
    const userId = origin.userId;
    const now = new Date();
    await this.#deps.changes.write(async (w) => {
      const clock = await w.tx.lock([userId, friendId]);
      const rows = await w.tx.friendshipRows(userId, friendId);
      if (!rows.some((row) => row.userId === userId)) throw new AppError(ErrorCode.FRIEND_NOT_FOUND);
      for (const row of rows)
        Object.assign(row, {
          status: FriendshipStatus.DELETED,
          version: clock.next(row.userId),
          updatedAt: now,
        });
      w.notify(FriendEvents.deleted, [userId, friendId], { userId, friendId }, { origin });
    });
  }

  setRemark(origin: Origin, friendId: string, remark: string | null): Promise<FriendView> {
    return this.#update(origin, friendId, { remark });
  }

  moveToCategory(origin: Origin, friendId: string, categoryId: string | null): Promise<FriendView> {
    return this.#update(origin, friendId, { categoryId });
  }

  updateSettings(origin: Origin, friendId: string, changes: FriendSettingsChanges): Promise<FriendView> {
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    return this.#update(origin, friendId, defined);
  }

  /**
   * A user's nickname, avatar or signature changed: their row in each friend's list moves to a new
   * version (so incremental sync returns it) and the friends are told. Safe to repeat.
   */
  async profileChanged(userId: string, profile: Record<string, unknown>, eventId: string): Promise<void> {
    const holders = await this.#deps.store.holdersOf(userId);
    if (holders.length === 0) return;
    await this.#deps.changes.write(async (w) => {
      await w.tx.lock(holders);
      await w.tx.touchRowsOf(userId, holders, new Date());
      w.notify(FriendEvents.profileChanged, holders, { friendId: userId, profile }, { eventId });
    });
  }

  async #update(
    origin: Origin,
    friendId: string,
    changes: { remark?: string | null; categoryId?: string | null; isMuted?: boolean; isStarred?: boolean },
  ): Promise<FriendView> {
    const userId = origin.userId;
    const row = await this.#deps.changes.write(async (w) => {
      const clock = await w.tx.lock([userId]);
      const row = await w.tx.friendship(userId, friendId);
      if (!row) throw new AppError(ErrorCode.FRIEND_NOT_FOUND);
      if (changes.categoryId && !(await w.tx.category(userId, changes.categoryId)))
        throw new AppError(ErrorCode.NOT_FOUND, { detail: `category ${changes.categoryId}` });
      const changed = (Object.keys(changes) as Array<keyof typeof changes>).filter(
        (key) => changes[key] !== row[key],
      );
      if (changed.length === 0) return row;
      Object.assign(row, { ...changes, version: clock.next(userId), updatedAt: new Date() });
      w.notify(
        FriendEvents.updated,
        [userId],
        {
          friendId,
          changed,
          remark: row.remark ?? null,
          categoryId: row.categoryId ?? null,
          isMuted: row.isMuted,
          isStarred: row.isStarred,
        },
        { origin },
      );
      return row;
    });
    const [view] = await this.#views([row]);
    return view!;
  }

  async #changes(rows: FriendRecord[]): Promise<FriendChange[]> {
    const views = new Map(
      (await this.#views(rows.filter((row) => !row.deleted))).map((view) => [view.friendId, view]),
    );
    return rows.map((row): FriendChange => {
      const view = views.get(row.friendId);
      return view
        ? { deleted: false, ...view }
        : { deleted: true, friendId: row.friendId, version: row.version };
    });
  }

  async #views(rows: FriendRecord[]): Promise<FriendView[]> {
    const ids = rows.map((row) => row.friendId);
    const [profiles, presence] = await Promise.all([this.#deps.changes.profiles(ids), this.#presence(ids)]);
    return rows.map((row) => ({
      friendId: row.friendId,
      profile: profiles.get(row.friendId),
      remark: row.remark ?? null,
      categoryId: row.categoryId ?? null,
      isMuted: row.isMuted,
      isStarred: row.isStarred,
      since: row.createdAt,
      version: row.version,
      presence: presence.get(row.friendId) ?? OFFLINE,
    }));
  }

  /**
   * Presence is a nice-to-have on a friend list: when the store cannot answer, friends show
   * offline. A friend who shows their presence to nobody shows offline, never seen.
   */
  async #presence(userIds: string[]): Promise<Map<string, PresenceView>> {
    if (userIds.length === 0) return new Map();
    try {
      const [found, privacy] = await Promise.all([
        this.#deps.presence.lookup(userIds),
        this.#deps.users.privacy(userIds),
      ]);
      return new Map(
        [...found]
          .filter(([userId]) => privacy.get(userId)?.presence !== 'nobody')
          .map(([userId, p]) => [
            userId,
            { online: p.online, platforms: p.platforms, lastActiveAt: p.lastActiveAt },
          ]),
      );
    } catch (error) {
      this.#deps.logger.warn({ err: error }, 'presence lookup failed; friends shown offline');
      return new Map();
    }
  }
}
