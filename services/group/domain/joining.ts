import { AppError, ErrorCode } from '../../platform/errors.ts';
import { JoinRequestStatus } from '../entities.ts';
import type { GroupStore } from '../store/index.ts';
import type { GroupChanges } from './changes.ts';
import { GroupEvents } from './events.ts';
import { nameOf } from './notice-text.ts';
import { adminsOf, assertActive, requireAdmin } from './rules.ts';
import type { JoinOutcome, JoinRequestView, Origin } from './types.ts';

/** Asking to join a group, and the owner's and admins' answers to join requests. */
export class Joining {
  readonly #store: GroupStore;
  readonly #changes: GroupChanges;

  constructor(store: GroupStore, changes: GroupChanges) {
    this.#store = store;
    this.#changes = changes;
  }

  /** Asks to join: a pending request while join verification is on, membership at once otherwise. */
  async join(
    origin: Origin,
    groupId: string,
    message: string | null,
    source: 'request' | 'qrcode' = 'request',
  ): Promise<JoinOutcome> {
    const changes = this.#changes;
    const userId = origin.userId;
    const profiles = await changes.profiles([userId]);
    return changes.write(async (w) => {
      const locked = await changes.lock(w, groupId, userId);
      const { group, members, me } = locked;
      if (me) throw new AppError(ErrorCode.GROUP_ALREADY_MEMBER);
      if (!group.joinVerify) {
        await changes.addMembers(w, locked, [userId], {
          origin,
          via: source,
          text: `${nameOf(profiles, userId)} joined the group`,
          profiles,
        });
        return { status: 'joined' as const, requestId: null, groupId };
      }
      const pending = await w.tx.pendingJoinRequest(groupId, userId);
      const request =
        pending ??
        w.tx.createJoinRequest({
          groupId,
          userId,
          message,
          source,
          status: JoinRequestStatus.PENDING,
          handledBy: null,
          createdAt: w.now,
          updatedAt: w.now,
          handledAt: null,
        });
      // Asking again refreshes the request rather than piling up new ones.
      if (pending) Object.assign(pending, { message, source, updatedAt: w.now });
      w.emit({
        kind: GroupEvents.joinRequested,
        groupId,
        recipients: adminsOf(members),
        payload: {
          groupId,
          requestId: request.id,
          userId,
          user: profiles.get(userId) ?? null,
          message,
          source,
          createdAt: request.createdAt.toISOString(),
        },
        changed: false,
      });
      return { status: 'pending' as const, requestId: request.id, groupId };
    });
  }

  /** Pending join requests, newest first (owner and admins). */
  async pending(
    userId: string,
    groupId: string,
    page: number,
    pageSize: number,
  ): Promise<{ total: number; requests: JoinRequestView[] }> {
    const seen = await this.#changes.view(userId, groupId);
    assertActive(seen.group);
    requireAdmin(seen.me);
    const { total, requests } = await this.#store.pendingJoinRequests(groupId, {
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    const profiles = await this.#changes.profiles(requests.map((r) => r.userId));
    return {
      total,
      requests: requests.map((request) => ({ request, applicant: profiles.get(request.userId) })),
    };
  }

  /** Accepts or rejects a join request (owner and admins). */
  async handle(
    origin: Origin,
    groupId: string,
    requestId: string | null,
    action: 'accept' | 'reject',
  ): Promise<{ requestId: string; status: 'accepted' | 'rejected' }> {
    const changes = this.#changes;
    const found = requestId === null ? null : await this.#store.joinRequest(requestId, groupId);
    const profiles = await changes.profiles(found ? [origin.userId, found.userId] : [origin.userId]);
    return changes.write(async (w) => {
      const locked = await changes.lock(w, groupId, origin.userId);
      const { members, me } = locked;
      requireAdmin(me);
      const request = found ? await w.tx.joinRequest(found.id, groupId) : null;
      if (!request) throw new AppError(ErrorCode.GROUP_JOIN_REQUEST_NOT_FOUND);
      if (request.status !== JoinRequestStatus.PENDING)
        throw new AppError(ErrorCode.GROUP_JOIN_REQUEST_HANDLED, { detail: `request is ${request.status}` });
      const status = action === 'accept' ? JoinRequestStatus.ACCEPTED : JoinRequestStatus.REJECTED;
      const applicant = request.userId;
      if (action === 'accept' && !members.some((m) => m.userId === applicant))
        await changes.addMembers(w, locked, [applicant], {
          origin,
          via: request.source === 'qrcode' ? 'qrcode' : 'request',
          text: `${nameOf(profiles, origin.userId)} approved ${nameOf(profiles, applicant)} to join the group`,
          profiles,
        });
      Object.assign(request, { status, handledBy: origin.userId, handledAt: w.now, updatedAt: w.now });
      w.emit({
        kind: GroupEvents.joinHandled,
        groupId,
        recipients: [applicant, ...adminsOf(members)],
        payload: {
          groupId,
          requestId: request.id,
          userId: applicant,
          status,
          handledBy: origin.userId,
          handledAt: w.now.toISOString(),
        },
        origin,
        changed: false,
      });
      return { requestId: request.id, status };
    });
  }
}
