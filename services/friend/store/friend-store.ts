import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { PeerRelation, Relation } from '../../platform/contracts/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import { type Outbox, type PendingEvent, transactionalWithOutbox } from '../../platform/outbox.ts';
import {
  BlacklistEntry,
  FriendCategory,
  FriendRequest,
  Friendship,
  FriendshipStatus,
  RequestStatus,
} from '../entities.ts';
import { friendsOfFriends } from './discovery-queries.ts';
import { categoryCounts, friendListPage } from './friend-list-queries.ts';
import { FriendWrites } from './friend-writes.ts';
import type { FriendListOptions, ListedFriendPage } from './records.ts';
import { relationOf, relationsOf, relationsOfPairs } from './relation-queries.ts';

interface Page {
  limit: number;
  offset: number;
}

/** Which of a user's requests a listing shows: by direction, and by what a client sees of them. */
export interface RequestFilter {
  direction: 'incoming' | 'outgoing';
  status?: 'pending' | 'accepted' | 'rejected' | 'expired' | undefined;
  /** Pending requests made at or before it have expired. */
  expiryCutoff: Date;
}

/**
 * The friend service's one way to its database: every statement and ORM call of the service is
 * here (reads) or in FriendWrites (changes, within a transaction).
 */
export class FriendStore {
  readonly #orm: MikroORM;
  readonly #ids: SnowflakeGenerator;

  constructor(orm: MikroORM, ids: SnowflakeGenerator) {
    this.#orm = orm;
    this.#ids = ids;
  }

  /**
   * Runs a change in one transaction. The events `work` adds go to the outbox in that transaction
   * and are published after it commits.
   */
  transaction<T>(outbox: Outbox, work: (tx: FriendWrites, events: PendingEvent[]) => Promise<T>): Promise<T> {
    return transactionalWithOutbox(this.#orm, outbox, async (em, events) => {
      const tx = new FriendWrites(em, this.#ids);
      const result = await work(tx, events);
      await tx.finish();
      return result;
    });
  }

  request(requestId: string): Promise<FriendRequest | null> {
    return this.#em().findOne(FriendRequest, { id: requestId });
  }

  /** A user's requests, newest first. */
  async requestPage(
    userId: string,
    filter: RequestFilter,
    page: Page,
  ): Promise<{ total: number; requests: FriendRequest[] }> {
    const cutoff = filter.expiryCutoff;
    const where: Record<string, unknown> =
      filter.direction === 'incoming' ? { toUserId: userId } : { fromUserId: userId };
    switch (filter.status) {
      case 'pending':
        Object.assign(where, { status: RequestStatus.PENDING, createdAt: { $gt: cutoff } });
        break;
      case 'expired':
        where.$or = [
          { status: RequestStatus.EXPIRED },
          { status: RequestStatus.PENDING, createdAt: { $lte: cutoff } },
        ];
        break;
      case 'accepted':
      case 'rejected':
        where.status = filter.status;
        break;
      case undefined:
        break;
    }
    const [requests, total] = await this.#em().findAndCount(FriendRequest, where, {
      orderBy: { createdAt: 'desc', id: 'desc' },
      ...page,
    });
    return { total, requests };
  }

  friendListPage(userId: string, options: FriendListOptions): Promise<ListedFriendPage> {
    return friendListPage(this.#em(), userId, options);
  }

  friendship(userId: string, friendId: string): Promise<Friendship | null> {
    return this.#em().findOne(Friendship, { userId, friendId, status: FriendshipStatus.ACTIVE });
  }

  /** Ids of a user's friends, in id order. */
  async friendIds(userId: string): Promise<string[]> {
    const rows = await this.#em().find(
      Friendship,
      { userId, status: FriendshipStatus.ACTIVE },
      { fields: ['friendId'], orderBy: { friendId: 'asc' } },
    );
    return rows.map((row) => row.friendId);
  }

  /** The users who have `friendId` in their friend list. */
  async holdersOf(friendId: string): Promise<string[]> {
    const rows = await this.#em().find(
      Friendship,
      { friendId, status: FriendshipStatus.ACTIVE },
      { fields: ['userId'] },
    );
    return rows.map((row) => row.userId);
  }

  relation(userId: string, peerId: string): Promise<Relation> {
    return relationOf(this.#em(), userId, peerId);
  }

  relations(userId: string, peerIds: string[]): Promise<PeerRelation[]> {
    return relationsOf(this.#em(), userId, peerIds);
  }

  pairRelations(pairs: Array<{ userId: string; peerId: string }>): Promise<Relation[]> {
    return relationsOfPairs(this.#em(), pairs);
  }

  /** Friends of the user's friends, not theirs, most friends in common first (recommendations). */
  friendsOfFriends(userId: string, limit: number): Promise<Array<{ userId: string; mutualFriends: number }>> {
    return friendsOfFriends(this.#em(), userId, limit);
  }

  category(userId: string, categoryId: string): Promise<FriendCategory | null> {
    return this.#em().findOne(FriendCategory, { id: categoryId, userId });
  }

  /** A user's categories, oldest first, and how many friends each holds (`null`: the default one). */
  async categories(
    userId: string,
  ): Promise<{ categories: FriendCategory[]; counts: Map<string | null, number> }> {
    const em = this.#em();
    const [categories, counts] = await Promise.all([
      em.find(FriendCategory, { userId }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
      categoryCounts(em, userId),
    ]);
    return { categories, counts };
  }

  /** A user's blacklist, newest first. */
  async blacklistPage(userId: string, page: Page): Promise<{ total: number; entries: BlacklistEntry[] }> {
    const [entries, total] = await this.#em().findAndCount(
      BlacklistEntry,
      { userId },
      { orderBy: { createdAt: 'desc', id: 'desc' }, ...page },
    );
    return { total, entries };
  }

  #em(): EntityManager {
    return this.#orm.em.fork();
  }
}
