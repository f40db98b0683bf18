import type { EntityManager } from '@mikro-orm/postgresql';
import type { Relation } from '../../platform/contracts/index.ts';
import { SyncClock } from '../../platform/db/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import {
  BlacklistEntry,
  FriendCategory,
  FriendRequest,
  Friendship,
  FriendshipStatus,
  RequestStatus,
} from '../entities.ts';
import { relationOf } from './relation-queries.ts';

/** Where this service keeps its users' sync clocks. */
const SYNC_CLOCKS = '"friend"."sync_versions"';

/**
 * The friend service's writes within one transaction (see FriendStore.transaction). Entities read
 * here are managed: what the domain changes on them is written when the transaction ends.
 */
export class FriendWrites {
  readonly #em: EntityManager;
  readonly #ids: SnowflakeGenerator;
  #clock: SyncClock | undefined;

  constructor(em: EntityManager, ids: SnowflakeGenerator) {
    this.#em = em;
    this.#ids = ids;
  }

  /**
   * Locks the sync clocks of the users whose lists (or relations) this transaction changes; once.
   * Every change between two users holds both their clocks.
   */
  async lock(userIds: string[]): Promise<SyncClock> {
    if (this.#clock) throw new Error('sync clocks are locked once per transaction');
    this.#clock = await SyncClock.lock(this.#em, SYNC_CLOCKS, userIds);
    return this.#clock;
  }

  relation(userId: string, peerId: string): Promise<Relation> {
    return relationOf(this.#em, userId, peerId);
  }

  // ---- requests

  request(requestId: string): Promise<FriendRequest> {
    return this.#em.findOneOrFail(FriendRequest, { id: requestId });
  }

  /** The newest request from one user to another still pending and made after `after`. */
  pendingRequest(fromUserId: string, toUserId: string, after: Date): Promise<FriendRequest | null> {
    return this.#em.findOne(
      FriendRequest,
      { fromUserId, toUserId, status: RequestStatus.PENDING, createdAt: { $gt: after } },
      { orderBy: { createdAt: 'desc', id: 'desc' } },
    );
  }

  /** Requests from one user to another made after `since`: rejected ones, and pending ones made after `pendingAfter`. */
  recentRequests(fromUserId: string, toUserId: string, since: Date, pendingAfter: Date): Promise<number> {
    return this.#em.count(FriendRequest, {
      fromUserId,
      toUserId,
      createdAt: { $gt: since },
      $or: [
        { status: RequestStatus.REJECTED },
        { status: RequestStatus.PENDING, createdAt: { $gt: pendingAfter } },
      ],
    });
  }

  /** An older request to the same person that is still pending is replaced (marked expired). */
  async replacePending(fromUserId: string, toUserId: string, now: Date): Promise<void> {
    await this.#em.nativeUpdate(
      FriendRequest,
      { fromUserId, toUserId, status: RequestStatus.PENDING },
      { status: RequestStatus.EXPIRED, updatedAt: now },
    );
  }

  createRequest(data: Omit<FriendRequest, 'id' | 'updatedAt'>): FriendRequest {
    return this.#em.create(FriendRequest, { id: this.#ids.next(), ...data });
  }

  /** Every other pending request between these two users is accepted with this one. */
  async acceptOthers(request: FriendRequest, now: Date): Promise<void> {
    const { fromUserId, toUserId } = request;
    await this.#em.nativeUpdate(
      FriendRequest,
      {
        id: { $ne: request.id },
        status: RequestStatus.PENDING,
        $or: [
          { fromUserId, toUserId },
          { fromUserId: toUserId, toUserId: fromUserId },
        ],
      },
      { status: RequestStatus.ACCEPTED, handledAt: now, updatedAt: now },
    );
  }

  // ---- friendships

  /** Active friends of each of the two users. */
  async friendCounts(userId: string, peerId: string): Promise<{ user: number; peer: number }> {
    const counts = await this.#em.execute<Array<{ user_id: string; friends: string }>>(
      `select "user_id", count(*) as "friends" from "friend"."friendships"
       where "user_id" in (?, ?) and "status" = 1 group by "user_id"`,
      [userId, peerId],
    );
    const countOf = (id: string) => Number(counts.find((row) => String(row.user_id) === id)?.friends ?? 0);
    return { user: countOf(userId), peer: countOf(peerId) };
  }

  /** Whether the two users have a friend in common (who may ask under `friends_of_friends`). */
  async haveMutualFriend(userId: string, peerId: string): Promise<boolean> {
    const [row] = await this.#em.execute<Array<{ found: boolean }>>(
      `select exists(select 1 from "friend"."friendships" a
         join "friend"."friendships" b on b."user_id" = a."friend_id" and b."friend_id" = ? and b."status" = 1
         where a."user_id" = ? and a."status" = 1) as "found"`,
      [peerId, userId],
    );
    return row?.found === true;
  }

  async isFriend(userId: string, friendId: string): Promise<boolean> {
    return (await this.#em.count(Friendship, { userId, friendId, status: FriendshipStatus.ACTIVE })) > 0;
  }

  friendship(userId: string, friendId: string): Promise<Friendship | null> {
    return this.#em.findOne(Friendship, { userId, friendId, status: FriendshipStatus.ACTIVE });
  }

  /** Both active rows of a friendship (one, or none, when it is not one on both sides). */
  friendshipRows(userId: string, friendId: string): Promise<Friendship[]> {
    return this.#em.find(Friendship, {
      $or: [
        { userId, friendId },
        { userId: friendId, friendId: userId },
      ],
      status: FriendshipStatus.ACTIVE,
    });
  }

  /**
   * Both rows of a friendship, fresh, at new versions of the locked clocks: a friendship made again
   * starts without remark or category.
   */
  async befriend(a: string, b: string, now: Date): Promise<void> {
    const clock = this.#locked();
    for (const [userId, friendId] of [
      [a, b],
      [b, a],
    ] as const) {
      await this.#em.upsert(
        Friendship,
        {
          id: this.#ids.next(),
          userId,
          friendId,
          remark: null,
          categoryId: null,
          isMuted: false,
          isStarred: false,
          status: FriendshipStatus.ACTIVE,
          version: clock.next(userId),
          createdAt: now,
          updatedAt: now,
        },
        {
          onConflictFields: ['userId', 'friendId'],
          onConflictMergeFields: [
            'remark',
            'categoryId',
            'isMuted',
            'isStarred',
            'status',
            'version',
            'createdAt',
            'updatedAt',
          ],
        },
      );
    }
  }

  /** The rows showing `friendId` in these users' lists move to new versions (their profile changed). */
  async touchRowsOf(friendId: string, holderIds: string[], now: Date): Promise<void> {
    const clock = this.#locked();
    const versions = holderIds.map((userId) => ({ user_id: userId, version: clock.next(userId) }));
    await this.#em.execute(
      `update "friend"."friendships" as f set "version" = v."version", "updated_at" = ?
       from jsonb_to_recordset(?::jsonb) as v("user_id" bigint, "version" bigint)
       where f."user_id" = v."user_id" and f."friend_id" = ? and f."status" = 1`,
      [now, JSON.stringify(versions), friendId],
    );
  }

  // ---- categories

  category(userId: string, categoryId: string): Promise<FriendCategory | null> {
    return this.#em.findOne(FriendCategory, { id: categoryId, userId });
  }

  categoryCount(userId: string): Promise<number> {
    return this.#em.count(FriendCategory, { userId });
  }

  async categoryNamed(userId: string, name: string): Promise<boolean> {
    return (await this.#em.count(FriendCategory, { userId, name })) > 0;
  }

  createCategory(userId: string, name: string): FriendCategory {
    return this.#em.create(FriendCategory, { id: this.#ids.next(), userId, name });
  }

  friendsIn(userId: string, categoryId: string): Promise<Friendship[]> {
    return this.#em.find(
      Friendship,
      { userId, categoryId, status: FriendshipStatus.ACTIVE },
      { orderBy: { friendId: 'asc' } },
    );
  }

  countIn(userId: string, categoryId: string): Promise<number> {
    return this.#em.count(Friendship, { userId, categoryId, status: FriendshipStatus.ACTIVE });
  }

  /** Deleted friendships still pointing at it are cleared by the foreign key (on delete set null). */
  removeCategory(category: FriendCategory): void {
    this.#em.remove(category);
  }

  // ---- blacklist

  async blacklists(userId: string, blockedUserId: string): Promise<boolean> {
    return (await this.#em.count(BlacklistEntry, { userId, blockedUserId })) > 0;
  }

  blacklistSize(userId: string): Promise<number> {
    return this.#em.count(BlacklistEntry, { userId });
  }

  addToBlacklist(userId: string, blockedUserId: string, now: Date): BlacklistEntry {
    return this.#em.create(BlacklistEntry, { id: this.#ids.next(), userId, blockedUserId, createdAt: now });
  }

  /** Whether there was such an entry to remove. */
  async removeFromBlacklist(userId: string, blockedUserId: string): Promise<boolean> {
    return (await this.#em.nativeDelete(BlacklistEntry, { userId, blockedUserId })) > 0;
  }

  /** Writes what the domain changed on managed entities; the flush where a step needs it done. */
  flush(): Promise<void> {
    return this.#em.flush();
  }

  /** Writes what the transaction changed, and the sync clocks it moved; before commit. */
  async finish(): Promise<void> {
    await this.#em.flush();
    await this.#clock?.save(this.#em);
  }

  #locked(): SyncClock {
    if (!this.#clock) throw new Error('sync clocks are not locked in this transaction');
    return this.#clock;
  }
}
