import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../../platform/config.ts';
import {
  type BriefProfile,
  fetchProfiles,
  type PeerRelation,
  type Relation,
  timelineAppend,
  UserMethods,
} from '../../platform/contracts/index.ts';
import { SyncClock, syncPage } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { type Outbox, transactionalWithOutbox } from '../../platform/outbox.ts';
import type { InvokePort } from '../../platform/ports/index.ts';
import type { PresenceRegistry } from '../../platform/presence/index.ts';
import {
  BlacklistEntry,
  FriendCategory,
  FriendRequest,
  Friendship,
  FriendshipStatus,
  RequestStatus,
} from '../entities.ts';

export const REQUEST_SOURCES = ['search', 'qrcode', 'group', 'contacts'] as const;
export type RequestSource = (typeof REQUEST_SOURCES)[number];
export type RequestDirection = 'incoming' | 'outgoing';
/** What a client sees: a pending request past its lifetime is `expired`. */
export type RequestState = 'pending' | 'accepted' | 'rejected' | 'expired';

/** Notification kinds this service appends to users' timelines. */
export const FriendEvents = {
  requestReceived: 'friend.request.received',
  requestAccepted: 'friend.request.accepted',
  requestRejected: 'friend.request.rejected',
  added: 'friend.added',
  deleted: 'friend.deleted',
  updated: 'friend.updated',
  profileChanged: 'friend.profile.changed',
  categoryChanged: 'friend.category.changed',
  blacklistChanged: 'friend.blacklist.changed',
} as const;

/** Most categories one user may create. */
export const MAX_CATEGORIES = 50;

/** The device that made a change: it already knows, so it learns of it through sync only. */
export interface Origin {
  userId: string;
  deviceId: string;
}

export interface FriendServiceDeps {
  orm: MikroORM;
  invoke: InvokePort;
  ids: SnowflakeGenerator;
  logger: Logger;
  outbox: Outbox;
  presence: PresenceRegistry;
  limits: Config['friend'];
}

export interface RequestView {
  request: FriendRequest;
  state: RequestState;
  expiresAt: Date;
  /** The other user of the request. */
  peer: BriefProfile | undefined;
}

export interface PresenceView {
  online: boolean;
  platforms: string[];
  lastActiveAt: number | null;
}

export interface FriendView {
  friendId: string;
  profile: BriefProfile | undefined;
  remark: string | null;
  categoryId: string | null;
  isMuted: boolean;
  isStarred: boolean;
  since: Date;
  version: number;
  presence: PresenceView;
}

export type FriendChange =
  | ({ deleted: false } & FriendView)
  | { deleted: true; friendId: string; version: number };

export interface FriendPage {
  friends: FriendChange[];
  /** Friends matching the filter (full listing) or all friends (changes). */
  total: number;
  /** Cursor for the next incremental call. */
  updateTime: number;
  hasMore: boolean;
}

export interface CategoryView {
  category: FriendCategory;
  friendCount: number;
}

export interface FriendSettingsChanges {
  isMuted?: boolean | undefined;
  isStarred?: boolean | undefined;
}

interface WriteContext {
  tx: EntityManager;
  /** Locks the sync clocks of the users whose lists (or relations) this transaction changes; once. */
  lock(userIds: string[]): Promise<SyncClock>;
  notify(kind: string, recipients: string[], payload: Record<string, unknown>, options?: NotifyOptions): void;
}

interface NotifyOptions {
  origin?: Origin | undefined;
  eventId?: string;
}

interface FriendRow {
  friend_id: string;
  remark: string | null;
  category_id: string | null;
  is_muted: boolean;
  is_starred: boolean;
  status: number;
  row_version: string;
  created_at: Date | string;
}

/** Where this service keeps its users' sync clocks. */
const SYNC_CLOCKS = '"friend"."sync_versions"';

const OFFLINE: PresenceView = { online: false, platforms: [], lastActiveAt: null };

export class FriendService {
  readonly #deps: FriendServiceDeps;

  constructor(deps: FriendServiceDeps) {
    this.#deps = deps;
  }

  // ---- requests -------------------------------------------------------------------------------

  /**
   * Sends a friend request. Becomes a friendship at once when the other user does not verify
   * requests, or when they have already asked this user (both wanted it).
   */
  async sendRequest(
    origin: Origin,
    input: { targetId: string; message: string | null; source: RequestSource },
  ): Promise<{ requestId: string; status: 'pending' | 'accepted' }> {
    const userId = origin.userId;
    const targetId = input.targetId;
    if (targetId === userId) throw new AppError(ErrorCode.FRIEND_SELF);
    const profiles = await this.#profiles([userId, targetId]);
    const target = profiles.get(targetId);
    if (!target || target.accountDeleted)
      throw new AppError(ErrorCode.USER_NOT_FOUND, { detail: `user ${targetId}` });
    const { friendVerify } = await this.#deps.invoke.invoke<{ friendVerify: boolean }>(
      'user',
      UserMethods.getSettings,
      { userId: targetId },
    );
    const now = new Date();
    return this.#write(async (w) => {
      const clock = await w.lock([userId, targetId]);
      const { tx } = w;
      const relation = await this.#relation(tx, userId, targetId);
      if (relation.blockedByPeer) throw new AppError(ErrorCode.BLOCKED_BY_PEER);
      if (relation.blocking)
        throw new AppError(ErrorCode.ALREADY_BLACKLISTED, {
          detail: 'remove the user from your blacklist before adding them',
        });
      if (relation.isFriend) throw new AppError(ErrorCode.ALREADY_FRIENDS);

      const reverse = await tx.findOne(
        FriendRequest,
        {
          fromUserId: targetId,
          toUserId: userId,
          status: RequestStatus.PENDING,
          createdAt: { $gt: this.#expiryCutoff(now) },
        },
        { orderBy: { createdAt: 'desc', id: 'desc' } },
      );
      if (reverse) {
        await this.#accept(w, clock, reverse, now);
        w.notify(FriendEvents.requestAccepted, [targetId, userId], this.#handledPayload(reverse, now), {
          origin,
        });
        return { requestId: reverse.id, status: 'accepted' as const };
      }

      const resendCutoff = new Date(now.getTime() - this.#deps.limits.requestResendSeconds * 1000);
      const recent = await tx.count(FriendRequest, {
        fromUserId: userId,
        toUserId: targetId,
        createdAt: { $gt: resendCutoff },
        $or: [
          { status: RequestStatus.REJECTED },
          { status: RequestStatus.PENDING, createdAt: { $gt: this.#expiryCutoff(now) } },
        ],
      });
      if (recent > 0) throw new AppError(ErrorCode.FRIEND_REQUEST_DUPLICATE);
      await this.#assertRoom(tx, userId, targetId);

      // An older request to the same person that is still pending is replaced by this one.
      await tx.nativeUpdate(
        FriendRequest,
        { fromUserId: userId, toUserId: targetId, status: RequestStatus.PENDING },
        { status: RequestStatus.EXPIRED, updatedAt: now },
      );
      const request = tx.create(FriendRequest, {
        id: this.#deps.ids.next(),
        fromUserId: userId,
        toUserId: targetId,
        message: input.message,
        source: input.source,
        status: friendVerify ? RequestStatus.PENDING : RequestStatus.ACCEPTED,
        createdAt: now,
        handledAt: friendVerify ? null : now,
      });
      if (friendVerify) {
        w.notify(FriendEvents.requestReceived, [targetId], {
          requestId: request.id,
          fromUserId: userId,
          toUserId: targetId,
          fromUser: profiles.get(userId) ?? null,
          message: input.message,
          source: input.source,
          createdAt: now.toISOString(),
          expiresAt: this.#expiresAt(now).toISOString(),
        });
        return { requestId: request.id, status: 'pending' as const };
      }
      await this.#makeFriends(tx, clock, userId, targetId, now);
      w.notify(
        FriendEvents.added,
        [userId, targetId],
        { requestId: request.id, fromUserId: userId, toUserId: targetId, source: input.source },
        { origin },
      );
      return { requestId: request.id, status: 'accepted' as const };
    });
  }

  async listRequests(
    userId: string,
    options: {
      direction: RequestDirection;
      status?: RequestState | undefined;
      page: number;
      pageSize: number;
    },
  ): Promise<{ total: number; requests: RequestView[] }> {
    const now = new Date();
    const cutoff = this.#expiryCutoff(now);
    const where: Record<string, unknown> =
      options.direction === 'incoming' ? { toUserId: userId } : { fromUserId: userId };
    switch (options.status) {
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
        where.status = options.status;
        break;
      case undefined:
        break;
    }
    const [requests, total] = await this.#deps.orm.em.fork().findAndCount(FriendRequest, where, {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: options.pageSize,
      offset: (options.page - 1) * options.pageSize,
    });
    const peerOf = (r: FriendRequest) => (r.fromUserId === userId ? r.toUserId : r.fromUserId);
    const profiles = await this.#profiles(requests.map(peerOf));
    return {
      total,
      requests: requests.map((request) => ({
        request,
        state: this.#stateOf(request, now),
        expiresAt: this.#expiresAt(request.createdAt),
        peer: profiles.get(peerOf(request)),
      })),
    };
  }

  /** Accepts or rejects a request; only its recipient may. */
  async handleRequest(
    origin: Origin,
    requestId: string,
    action: 'accept' | 'reject',
  ): Promise<{ requestId: string; status: 'accepted' | 'rejected' }> {
    const userId = origin.userId;
    const seen = await this.#deps.orm.em.fork().findOne(FriendRequest, { id: requestId });
    if (!seen || seen.toUserId !== userId) throw new AppError(ErrorCode.FRIEND_REQUEST_NOT_FOUND);
    const now = new Date();
    return this.#write(async (w) => {
      const clock = await w.lock([seen.fromUserId, seen.toUserId]);
      // Read again under the locks: every change between these two users holds them.
      const request = await w.tx.findOneOrFail(FriendRequest, { id: requestId });
      const state = this.#stateOf(request, now);
      if (state === 'expired') throw new AppError(ErrorCode.FRIEND_REQUEST_EXPIRED);
      if (state !== 'pending')
        throw new AppError(ErrorCode.FRIEND_REQUEST_HANDLED, { detail: `request is ${state}` });
      const recipients = [request.fromUserId, request.toUserId];
      if (action === 'reject') {
        w.tx.assign(request, { status: RequestStatus.REJECTED, handledAt: now });
        w.notify(FriendEvents.requestRejected, recipients, this.#handledPayload(request, now), { origin });
        return { requestId, status: 'rejected' as const };
      }
      await this.#accept(w, clock, request, now);
      w.notify(FriendEvents.requestAccepted, recipients, this.#handledPayload(request, now), { origin });
      return { requestId, status: 'accepted' as const };
    });
  }

  // ---- friends --------------------------------------------------------------------------------

  /**
   * Without `since`: one page of friends (optionally of one category; `null` = the default one).
   * With `since`: the changes after that cursor in version order, deletions included, `pageSize`
   * at a time; `updateTime` is the cursor to continue from.
   */
  async listFriends(
    userId: string,
    options: {
      since?: number | undefined;
      categoryId?: string | null | undefined;
      page: number;
      pageSize: number;
    },
  ): Promise<FriendPage> {
    const em = this.#deps.orm.em.fork();
    const incremental = options.since !== undefined;
    let filter = '';
    const filterParams: unknown[] = [];
    if (options.categoryId === null) filter = ' and "category_id" is null';
    else if (options.categoryId !== undefined) {
      const category = await em.findOne(FriendCategory, { id: options.categoryId, userId });
      if (!category) throw new AppError(ErrorCode.NOT_FOUND, { detail: `category ${options.categoryId}` });
      filter = ' and "category_id" = ?';
      filterParams.push(options.categoryId);
    }
    const columns = `"friend_id", "remark", "category_id", "is_muted", "is_starred", "status",
      "version" as "row_version", "created_at"`;
    const page = incremental
      ? {
          sql: `select ${columns} from "friend"."friendships"
                where "user_id" = ? and "version" > ? order by "version" limit ?`,
          params: [userId, options.since, options.pageSize + 1],
        }
      : {
          sql: `select ${columns} from "friend"."friendships"
                where "user_id" = ? and "status" = 1${filter} order by "friend_id" limit ? offset ?`,
          params: [userId, ...filterParams, options.pageSize, (options.page - 1) * options.pageSize],
        };
    // One statement, one snapshot: the cursor is the largest version this page could have seen.
    const rows = await em.execute<Array<FriendRow & { cursor: string | null; total: string }>>(
      `select s."cursor", s."total", f.* from (select
         (select max("version") from "friend"."friendships" where "user_id" = ?) as "cursor",
         (select count(*) from "friend"."friendships" where "user_id" = ? and "status" = 1${incremental ? '' : filter}) as "total"
       ) s left join lateral (${page.sql}) f on true`,
      [userId, userId, ...(incremental ? [] : filterParams), ...page.params],
    );
    const found = rows.filter((row) => row.friend_id !== null);
    const { rows: shown, ...result } = syncPage(rows[0]!, found, { ...options, incremental });
    return { friends: await this.#changes(shown), ...result };
  }

  /** One friend as in the friend list; 30107 when not a friend. */
  async friend(userId: string, friendId: string): Promise<FriendView> {
    const row = await this.#deps.orm.em
      .fork()
      .findOne(Friendship, { userId, friendId, status: FriendshipStatus.ACTIVE });
    if (!row) throw new AppError(ErrorCode.FRIEND_NOT_FOUND);
    const [view] = await this.#views([row]);
    return view!;
  }

  /** Ends a friendship on both sides. */
  async deleteFriend(origin: Origin, friendId: string): Promise<void> {
    const userId = origin.userId;
    const now = new Date();
    await this.#write(async (w) => {
      const clock = await w.lock([userId, friendId]);
      const rows = await w.tx.find(Friendship, {
        $or: [
          { userId, friendId },
          { userId: friendId, friendId: userId },
        ],
        status: FriendshipStatus.ACTIVE,
      });
      if (!rows.some((row) => row.userId === userId)) throw new AppError(ErrorCode.FRIEND_NOT_FOUND);
      for (const row of rows)
        w.tx.assign(row, {
          status: FriendshipStatus.DELETED,
          version: clock.next(row.userId),
          updatedAt: now,
        });
      w.notify(FriendEvents.deleted, [userId, friendId], { userId, friendId }, { origin });
    });
  }

  async setRemark(origin: Origin, friendId: string, remark: string | null): Promise<FriendView> {
    return this.#updateFriend(origin, friendId, { remark });
  }

  async moveToCategory(origin: Origin, friendId: string, categoryId: string | null): Promise<FriendView> {
    return this.#updateFriend(origin, friendId, { categoryId });
  }

  async updateSettings(
    origin: Origin,
    friendId: string,
    changes: FriendSettingsChanges,
  ): Promise<FriendView> {
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    return this.#updateFriend(origin, friendId, defined);
  }

  /** Ids of a user's friends. */
  async friendIds(userId: string): Promise<string[]> {
    const rows = await this.#deps.orm.em
      .fork()
      .find(
        Friendship,
        { userId, status: FriendshipStatus.ACTIVE },
        { fields: ['friendId'], orderBy: { friendId: 'asc' } },
      );
    return rows.map((row) => row.friendId);
  }

  /** How `userId` stands towards `peerId`. */
  async relation(userId: string, peerId: string): Promise<Relation> {
    if (userId === peerId) return { isFriend: false, blockedByPeer: false, blocking: false };
    return this.#relation(this.#deps.orm.em.fork(), userId, peerId);
  }

  /** How `userId` stands towards each of `peerIds`, in one statement (one entry per peer). */
  async relations(userId: string, peerIds: string[]): Promise<PeerRelation[]> {
    const peers = [...new Set(peerIds)];
    if (peers.length === 0) return [];
    const rows = await this.#deps.orm.em
      .fork()
      .execute<Array<{ peer_id: string; is_friend: boolean; blocking: boolean; blocked_by_peer: boolean }>>(
        `select p."peer_id"::text as "peer_id",
         exists(select 1 from "friend"."friendships" f
                 where f."user_id" = ? and f."friend_id" = p."peer_id" and f."status" = 1) as "is_friend",
         exists(select 1 from "friend"."blacklists" b
                 where b."user_id" = ? and b."blocked_user_id" = p."peer_id") as "blocking",
         exists(select 1 from "friend"."blacklists" b
                 where b."user_id" = p."peer_id" and b."blocked_user_id" = ?) as "blocked_by_peer"
       from (select value::bigint as "peer_id" from jsonb_array_elements_text(?::jsonb)) p`,
        [userId, userId, userId, JSON.stringify(peers)],
      );
    return rows.map((row) => {
      const self = row.peer_id === userId;
      return {
        peerId: row.peer_id,
        isFriend: !self && row.is_friend,
        blockedByPeer: !self && row.blocked_by_peer,
        blocking: !self && row.blocking,
      };
    });
  }

  /**
   * A user's nickname, avatar or signature changed: their row in each friend's list moves to a new
   * version (so incremental sync returns it) and the friends are told. Safe to repeat.
   */
  async profileChanged(userId: string, profile: Record<string, unknown>, eventId: string): Promise<void> {
    const holders = await this.#deps.orm.em
      .fork()
      .find(Friendship, { friendId: userId, status: FriendshipStatus.ACTIVE }, { fields: ['userId'] });
    if (holders.length === 0) return;
    await this.#write(async (w) => {
      const clock = await w.lock(holders.map((row) => row.userId));
      const versions = holders.map((row) => ({ user_id: row.userId, version: clock.next(row.userId) }));
      await w.tx.execute(
        `update "friend"."friendships" as f set "version" = v."version", "updated_at" = ?
         from jsonb_to_recordset(?::jsonb) as v("user_id" bigint, "version" bigint)
         where f."user_id" = v."user_id" and f."friend_id" = ? and f."status" = 1`,
        [new Date(), JSON.stringify(versions), userId],
      );
      w.notify(
        FriendEvents.profileChanged,
        holders.map((row) => row.userId),
        { friendId: userId, profile },
        { eventId },
      );
    });
  }

  // ---- categories -----------------------------------------------------------------------------

  async createCategory(origin: Origin, name: string): Promise<CategoryView> {
    const userId = origin.userId;
    return this.#write(async (w) => {
      await w.lock([userId]);
      const count = await w.tx.count(FriendCategory, { userId });
      if (count >= MAX_CATEGORIES)
        throw new AppError(ErrorCode.INVALID_PARAMS, { detail: `at most ${MAX_CATEGORIES} categories` });
      await this.#assertFreeName(w.tx, userId, name);
      const category = w.tx.create(FriendCategory, { id: this.#deps.ids.next(), userId, name });
      w.notify(
        FriendEvents.categoryChanged,
        [userId],
        { action: 'created', categoryId: category.id, name },
        { origin },
      );
      return { category, friendCount: 0 };
    });
  }

  async listCategories(userId: string): Promise<{ categories: CategoryView[]; defaultFriendCount: number }> {
    const em = this.#deps.orm.em.fork();
    const [categories, counts] = await Promise.all([
      em.find(FriendCategory, { userId }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
      em.execute<Array<{ category_id: string | null; friends: string }>>(
        `select "category_id", count(*) as "friends" from "friend"."friendships"
         where "user_id" = ? and "status" = 1 group by "category_id"`,
        [userId],
      ),
    ]);
    const byCategory = new Map(
      counts.map((row) => [row.category_id === null ? null : String(row.category_id), Number(row.friends)]),
    );
    return {
      categories: categories.map((category) => ({ category, friendCount: byCategory.get(category.id) ?? 0 })),
      defaultFriendCount: byCategory.get(null) ?? 0,
    };
  }

  async renameCategory(origin: Origin, categoryId: string, name: string): Promise<CategoryView> {
    const userId = origin.userId;
    return this.#write(async (w) => {
      await w.lock([userId]);
      const category = await this.#ownCategory(w.tx, userId, categoryId);
      if (category.name !== name) {
        await this.#assertFreeName(w.tx, userId, name);
        category.name = name;
        w.notify(FriendEvents.categoryChanged, [userId], { action: 'renamed', categoryId, name }, { origin });
      }
      const friendCount = await w.tx.count(Friendship, {
        userId,
        categoryId,
        status: FriendshipStatus.ACTIVE,
      });
      return { category, friendCount };
    });
  }

  /** Deletes a category; its friends go back to the default category. */
  async deleteCategory(origin: Origin, categoryId: string): Promise<{ movedFriendIds: string[] }> {
    const userId = origin.userId;
    return this.#write(async (w) => {
      const clock = await w.lock([userId]);
      const category = await this.#ownCategory(w.tx, userId, categoryId);
      const members = await w.tx.find(
        Friendship,
        { userId, categoryId, status: FriendshipStatus.ACTIVE },
        { orderBy: { friendId: 'asc' } },
      );
      const now = new Date();
      if (members.length > 0) {
        const first = clock.next(userId, members.length);
        members.forEach((row, index) => {
          w.tx.assign(row, { categoryId: null, version: first + index, updatedAt: now });
        });
        await w.tx.flush();
      }
      // Deleted friendships still pointing at it are cleared by the foreign key (on delete set null).
      w.tx.remove(category);
      const movedFriendIds = members.map((row) => row.friendId);
      w.notify(
        FriendEvents.categoryChanged,
        [userId],
        { action: 'deleted', categoryId, name: category.name, movedFriendIds },
        { origin },
      );
      return { movedFriendIds };
    });
  }

  // ---- blacklist ------------------------------------------------------------------------------

  async addToBlacklist(origin: Origin, targetId: string): Promise<BlacklistEntry> {
    const userId = origin.userId;
    if (targetId === userId)
      throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'you cannot blacklist yourself' });
    const profiles = await this.#profiles([targetId]);
    if (!profiles.has(targetId)) throw new AppError(ErrorCode.USER_NOT_FOUND, { detail: `user ${targetId}` });
    return this.#write(async (w) => {
      await w.lock([userId]);
      if (await w.tx.count(BlacklistEntry, { userId, blockedUserId: targetId }))
        throw new AppError(ErrorCode.ALREADY_BLACKLISTED);
      if ((await w.tx.count(BlacklistEntry, { userId })) >= this.#deps.limits.maxBlacklist)
        throw new AppError(ErrorCode.BLACKLIST_LIMIT, {
          detail: `at most ${this.#deps.limits.maxBlacklist}`,
        });
      const entry = w.tx.create(BlacklistEntry, {
        id: this.#deps.ids.next(),
        userId,
        blockedUserId: targetId,
        createdAt: new Date(),
      });
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

  async removeFromBlacklist(origin: Origin, targetId: string): Promise<void> {
    const userId = origin.userId;
    await this.#write(async (w) => {
      await w.lock([userId]);
      const removed = await w.tx.nativeDelete(BlacklistEntry, { userId, blockedUserId: targetId });
      if (removed === 0) throw new AppError(ErrorCode.NOT_BLACKLISTED);
      w.notify(FriendEvents.blacklistChanged, [userId], { action: 'removed', userId: targetId }, { origin });
    });
  }

  async listBlacklist(
    userId: string,
    page: number,
    pageSize: number,
  ): Promise<{
    total: number;
    entries: Array<{ entry: BlacklistEntry; profile: BriefProfile | undefined }>;
  }> {
    const [entries, total] = await this.#deps.orm.em
      .fork()
      .findAndCount(
        BlacklistEntry,
        { userId },
        { orderBy: { createdAt: 'desc', id: 'desc' }, limit: pageSize, offset: (page - 1) * pageSize },
      );
    const profiles = await this.#profiles(entries.map((entry) => entry.blockedUserId));
    return {
      total,
      entries: entries.map((entry) => ({ entry, profile: profiles.get(entry.blockedUserId) })),
    };
  }

  // ---- helpers --------------------------------------------------------------------------------

  /**
   * Runs a change in one transaction. Notifications go to the outbox in that transaction and are
   * published after it commits.
   */
  async #write<T>(work: (w: WriteContext) => Promise<T>): Promise<T> {
    return transactionalWithOutbox(this.#deps.orm, this.#deps.outbox, async (tx, events) => {
      let clock: SyncClock | undefined;
      const context: WriteContext = {
        tx,
        lock: async (userIds) => {
          if (clock) throw new Error('sync clocks are locked once per transaction');
          clock = await SyncClock.lock(tx, SYNC_CLOCKS, userIds);
          return clock;
        },
        notify: (kind, recipients, payload, options = {}) => {
          const eventId = options.eventId ?? this.#deps.ids.next();
          events.push(timelineAppend({ eventId, kind, recipients, payload, origin: options.origin }));
        },
      };
      const result = await work(context);
      await tx.flush();
      await clock?.save(tx);
      return result;
    });
  }

  async #updateFriend(
    origin: Origin,
    friendId: string,
    changes: { remark?: string | null; categoryId?: string | null; isMuted?: boolean; isStarred?: boolean },
  ): Promise<FriendView> {
    const userId = origin.userId;
    const row = await this.#write(async (w) => {
      const clock = await w.lock([userId]);
      const row = await w.tx.findOne(Friendship, { userId, friendId, status: FriendshipStatus.ACTIVE });
      if (!row) throw new AppError(ErrorCode.FRIEND_NOT_FOUND);
      if (changes.categoryId) await this.#ownCategory(w.tx, userId, changes.categoryId);
      const changed = (Object.keys(changes) as Array<keyof typeof changes>).filter(
        (key) => changes[key] !== row[key],
      );
      if (changed.length === 0) return row;
      w.tx.assign(row, { ...changes, version: clock.next(userId), updatedAt: new Date() });
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

  /** Makes the requester and the recipient of `request` friends; the request and any other pending one between them are accepted. */
  async #accept(w: WriteContext, clock: SyncClock, request: FriendRequest, now: Date): Promise<void> {
    const requesterId = request.fromUserId;
    const accepterId = request.toUserId;
    if (await w.tx.count(BlacklistEntry, { userId: requesterId, blockedUserId: accepterId }))
      throw new AppError(ErrorCode.BLOCKED_BY_PEER);
    const friends = await w.tx.count(Friendship, {
      userId: accepterId,
      friendId: requesterId,
      status: FriendshipStatus.ACTIVE,
    });
    if (!friends) {
      await this.#assertRoom(w.tx, accepterId, requesterId);
      await this.#makeFriends(w.tx, clock, requesterId, accepterId, now);
    }
    w.tx.assign(request, { status: RequestStatus.ACCEPTED, handledAt: now });
    await w.tx.nativeUpdate(
      FriendRequest,
      {
        id: { $ne: request.id },
        status: RequestStatus.PENDING,
        $or: [
          { fromUserId: requesterId, toUserId: accepterId },
          { fromUserId: accepterId, toUserId: requesterId },
        ],
      },
      { status: RequestStatus.ACCEPTED, handledAt: now, updatedAt: now },
    );
  }

  /** Both rows of a friendship, fresh: a friendship made again starts without remark or category. */
  async #makeFriends(tx: EntityManager, clock: SyncClock, a: string, b: string, now: Date): Promise<void> {
    for (const [userId, friendId] of [
      [a, b],
      [b, a],
    ] as const) {
      await tx.upsert(
        Friendship,
        {
          id: this.#deps.ids.next(),
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

  /** 30109 when `userId` has no room for another friend, 30110 when `peerId` has none. */
  async #assertRoom(tx: EntityManager, userId: string, peerId: string): Promise<void> {
    const max = this.#deps.limits.maxFriends;
    const counts = await tx.execute<Array<{ user_id: string; friends: string }>>(
      `select "user_id", count(*) as "friends" from "friend"."friendships"
       where "user_id" in (?, ?) and "status" = 1 group by "user_id"`,
      [userId, peerId],
    );
    const countOf = (id: string) => Number(counts.find((row) => String(row.user_id) === id)?.friends ?? 0);
    if (countOf(userId) >= max)
      throw new AppError(ErrorCode.FRIEND_LIMIT, { detail: `at most ${max} friends` });
    if (countOf(peerId) >= max) throw new AppError(ErrorCode.PEER_FRIEND_LIMIT);
  }

  async #relation(em: EntityManager, userId: string, peerId: string): Promise<Relation> {
    const [row] = await em.execute<
      Array<{ is_friend: boolean; blocking: boolean; blocked_by_peer: boolean }>
    >(
      `select
         exists(select 1 from "friend"."friendships" where "user_id" = ? and "friend_id" = ? and "status" = 1) as "is_friend",
         exists(select 1 from "friend"."blacklists" where "user_id" = ? and "blocked_user_id" = ?) as "blocking",
         exists(select 1 from "friend"."blacklists" where "user_id" = ? and "blocked_user_id" = ?) as "blocked_by_peer"`,
      [userId, peerId, userId, peerId, peerId, userId],
    );
    return { isFriend: row!.is_friend, blockedByPeer: row!.blocked_by_peer, blocking: row!.blocking };
  }

  async #ownCategory(tx: EntityManager, userId: string, categoryId: string): Promise<FriendCategory> {
    const category = await tx.findOne(FriendCategory, { id: categoryId, userId });
    if (!category) throw new AppError(ErrorCode.NOT_FOUND, { detail: `category ${categoryId}` });
    return category;
  }

  async #assertFreeName(tx: EntityManager, userId: string, name: string): Promise<void> {
    if (await tx.count(FriendCategory, { userId, name }))
      throw new AppError(ErrorCode.INVALID_PARAMS, { detail: `a category named "${name}" already exists` });
  }

  #expiryCutoff(now: Date): Date {
    return new Date(now.getTime() - this.#deps.limits.requestTtlSeconds * 1000);
  }

  #expiresAt(createdAt: Date): Date {
    return new Date(createdAt.getTime() + this.#deps.limits.requestTtlSeconds * 1000);
  }

  #stateOf(request: FriendRequest, now: Date): RequestState {
    if (request.status === RequestStatus.PENDING && this.#expiresAt(request.createdAt) <= now)
      return 'expired';
    return request.status;
  }

  #handledPayload(request: FriendRequest, now: Date): Record<string, unknown> {
    return {
      requestId: request.id,
      fromUserId: request.fromUserId,
      toUserId: request.toUserId,
      handledAt: now.toISOString(),
    };
  }

  async #changes(rows: FriendRow[]): Promise<FriendChange[]> {
    const active = rows.filter((row) => row.status === FriendshipStatus.ACTIVE);
    const views = new Map(
      (
        await this.#views(
          active.map((row) => ({
            friendId: String(row.friend_id),
            remark: row.remark,
            categoryId: row.category_id === null ? null : String(row.category_id),
            isMuted: row.is_muted,
            isStarred: row.is_starred,
            createdAt: new Date(row.created_at),
            version: Number(row.row_version),
          })),
        )
      ).map((view) => [view.friendId, view]),
    );
    return rows.map((row): FriendChange => {
      const view = views.get(String(row.friend_id));
      return view
        ? { deleted: false, ...view }
        : { deleted: true, friendId: String(row.friend_id), version: Number(row.row_version) };
    });
  }

  async #views(
    rows: Array<
      Pick<
        Friendship,
        'friendId' | 'remark' | 'categoryId' | 'isMuted' | 'isStarred' | 'createdAt' | 'version'
      >
    >,
  ): Promise<FriendView[]> {
    const ids = rows.map((row) => row.friendId);
    const [profiles, presence] = await Promise.all([this.#profiles(ids), this.#presence(ids)]);
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

  async #profiles(userIds: string[]): Promise<Map<string, BriefProfile>> {
    return fetchProfiles(this.#deps.invoke, userIds);
  }

  /** Presence is a nice-to-have on a friend list: when the store cannot answer, friends show offline. */
  async #presence(userIds: string[]): Promise<Map<string, PresenceView>> {
    if (userIds.length === 0) return new Map();
    try {
      const found = await this.#deps.presence.lookup(userIds);
      return new Map(
        [...found].map(([userId, p]) => [
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
