import type { Config } from '../../platform/config.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { UserClient } from '../clients/users.ts';
import { type FriendRequest, RequestStatus } from '../entities.ts';
import type { FriendStore } from '../store/index.ts';
import type { FriendChanges } from './changes.ts';
import { FriendEvents } from './events.ts';
import type {
  Origin,
  RequestDirection,
  RequestSource,
  RequestState,
  RequestView,
  WriteContext,
} from './types.ts';

export interface FriendRequestsDeps {
  store: FriendStore;
  changes: FriendChanges;
  users: UserClient;
  limits: Config['friend'];
}

const handledPayload = (request: FriendRequest, now: Date): Record<string, unknown> => ({
  requestId: request.id,
  fromUserId: request.fromUserId,
  toUserId: request.toUserId,
  handledAt: now.toISOString(),
});

/** Friend requests: sending (a friendship at once when no verification is asked), listing, answering. */
export class FriendRequests {
  readonly #deps: FriendRequestsDeps;

  constructor(deps: FriendRequestsDeps) {
    this.#deps = deps;
  }

  /**
   * Sends a friend request. Becomes a friendship at once when the other user does not verify
   * requests, or when they have already asked this user (both wanted it).
   */
  async send(
    origin: Origin,
    input: { targetId: string; message: string | null; source: RequestSource },
  ): Promise<{ requestId: string; status: 'pending' | 'accepted' }> {
    const userId = origin.userId;
    const targetId = input.targetId;
    if (targetId === userId) throw new AppError(ErrorCode.FRIEND_SELF);
    const profiles = await this.#deps.changes.profiles([userId, targetId]);
    const target = profiles.get(targetId);
    if (!target || target.accountDeleted)
      throw new AppError(ErrorCode.USER_NOT_FOUND, { detail: `user ${targetId}` });
    // A bot is befriended by its owner, by others only when its owner allows; it never answers a
    // request itself, so an allowed request makes the friendship at once.
    const bot = target.botOwnerId ? await this.#deps.users.bot(targetId) : undefined;
    if (bot && bot.ownerId !== userId && !bot.acceptsFriendRequests)
      throw new AppError(ErrorCode.FRIEND_REQUEST_NOT_ALLOWED, {
        detail: "the bot's owner does not allow it",
      });
    const [verifySetting, privacy] = await Promise.all([
      this.#deps.users.friendVerify(targetId),
      this.#deps.users.privacy([targetId]),
    ]);
    const friendVerify = bot ? false : verifySetting;
    const addMe = privacy.get(targetId)?.addMe ?? 'everyone';
    const now = new Date();
    return this.#deps.changes.write(async (w) => {
      await w.tx.lock([userId, targetId]);
      const { tx } = w;
      const relation = await tx.relation(userId, targetId);
      if (relation.blockedByPeer) throw new AppError(ErrorCode.BLOCKED_BY_PEER);
      if (relation.blocking)
        throw new AppError(ErrorCode.ALREADY_BLACKLISTED, {
          detail: 'remove the user from your blacklist before adding them',
        });
      if (relation.isFriend) throw new AppError(ErrorCode.ALREADY_FRIENDS);

      const reverse = await tx.pendingRequest(targetId, userId, this.#expiryCutoff(now));
      if (reverse) {
        await this.#accept(w, reverse, now);
        w.notify(FriendEvents.requestAccepted, [targetId, userId], handledPayload(reverse, now), {
          origin,
        });
        return { requestId: reverse.id, status: 'accepted' as const };
      }

      // Who may ask is the target's choice; a request they sent this user is answered above.
      if (
        addMe === 'nobody' ||
        (addMe === 'friends_of_friends' && !(await tx.haveMutualFriend(userId, targetId)))
      )
        throw new AppError(ErrorCode.FRIEND_REQUEST_NOT_ALLOWED);

      const resendCutoff = new Date(now.getTime() - this.#deps.limits.requestResendSeconds * 1000);
      const recent = await tx.recentRequests(userId, targetId, resendCutoff, this.#expiryCutoff(now));
      if (recent > 0) throw new AppError(ErrorCode.FRIEND_REQUEST_DUPLICATE);
      await this.#assertRoom(w, userId, targetId);

      // An older request to the same person that is still pending is replaced by this one.
      await tx.replacePending(userId, targetId, now);
      const request = tx.createRequest({
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
      await tx.befriend(userId, targetId, now);
      w.notify(
        FriendEvents.added,
        [userId, targetId],
        { requestId: request.id, fromUserId: userId, toUserId: targetId, source: input.source },
        { origin },
      );
      return { requestId: request.id, status: 'accepted' as const };
    });
  }

  async list(
    userId: string,
    options: {
      direction: RequestDirection;
      status?: RequestState | undefined;
      page: number;
      pageSize: number;
    },
  ): Promise<{ total: number; requests: RequestView[] }> {
    const now = new Date();
    const { total, requests } = await this.#deps.store.requestPage(
      userId,
      { direction: options.direction, status: options.status, expiryCutoff: this.#expiryCutoff(now) },
      { limit: options.pageSize, offset: (options.page - 1) * options.pageSize },
    );
    const peerOf = (r: FriendRequest) => (r.fromUserId === userId ? r.toUserId : r.fromUserId);
    const profiles = await this.#deps.changes.profiles(requests.map(peerOf));
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
  async handle(
    origin: Origin,
    requestId: string,
    action: 'accept' | 'reject',
  ): Promise<{ requestId: string; status: 'accepted' | 'rejected' }> {
    const userId = origin.userId;
    const seen = await this.#deps.store.request(requestId);
    if (!seen || seen.toUserId !== userId) throw new AppError(ErrorCode.FRIEND_REQUEST_NOT_FOUND);
    const now = new Date();
    return this.#deps.changes.write(async (w) => {
      await w.tx.lock([seen.fromUserId, seen.toUserId]);
      // Read again under the locks: every change between these two users holds them.
      const request = await w.tx.request(requestId);
      const state = this.#stateOf(request, now);
      if (state === 'expired') throw new AppError(ErrorCode.FRIEND_REQUEST_EXPIRED);
      if (state !== 'pending')
        throw new AppError(ErrorCode.FRIEND_REQUEST_HANDLED, { detail: `request is ${state}` });
      const recipients = [request.fromUserId, request.toUserId];
      if (action === 'reject') {
        Object.assign(request, { status: RequestStatus.REJECTED, handledAt: now });
        w.notify(FriendEvents.requestRejected, recipients, handledPayload(request, now), { origin });
        return { requestId, status: 'rejected' as const };
      }
      await this.#accept(w, request, now);
      w.notify(FriendEvents.requestAccepted, recipients, handledPayload(request, now), { origin });
      return { requestId, status: 'accepted' as const };
    });
  }

  /** Makes the requester and the recipient of `request` friends; the request and any other pending one between them are accepted. */
  async #accept(w: WriteContext, request: FriendRequest, now: Date): Promise<void> {
    const requesterId = request.fromUserId;
    const accepterId = request.toUserId;
    if (await w.tx.blacklists(requesterId, accepterId)) throw new AppError(ErrorCode.BLOCKED_BY_PEER);
    if (!(await w.tx.isFriend(accepterId, requesterId))) {
      await this.#assertRoom(w, accepterId, requesterId);
      await w.tx.befriend(requesterId, accepterId, now);
    }
    Object.assign(request, { status: RequestStatus.ACCEPTED, handledAt: now });
    await w.tx.acceptOthers(request, now);
  }

  /** 30109 when `userId` has no room for another friend, 30110 when `peerId` has none. */
  async #assertRoom(w: WriteContext, userId: string, peerId: string): Promise<void> {
    const max = this.#deps.limits.maxFriends;
    const counts = await w.tx.friendCounts(userId, peerId);
    if (counts.user >= max) throw new AppError(ErrorCode.FRIEND_LIMIT, { detail: `at most ${max} friends` });
    if (counts.peer >= max) throw new AppError(ErrorCode.PEER_FRIEND_LIMIT);
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
}
