import type { ProfileSummary } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { Group } from '../entities.ts';
import type { GroupStore, InvitationRecord } from '../store/index.ts';
import type { GroupChanges } from './changes.ts';
import { GroupEvents } from './events.ts';
import { nameOf } from './notice-text.ts';
import type { Origin, WriteContext } from './types.ts';

/** What an invitee sees of a pending invitation. */
export interface InvitationView extends InvitationRecord {
  inviter: ProfileSummary | undefined;
}

export interface InvitationDeps {
  store: GroupStore;
  /** An invitation's answer goes through the group's one way of changing (one lock, one way in). */
  changes: GroupChanges;
  ttlSeconds: number;
}

/**
 * Invitations of users who may not be added to a group directly (see admission.ts). The invitee
 * is told by a NOTIFICATION (`group.invited`), lists them, and accepts (joins as if added, with the
 * usual notices) or declines; one invitation per group and invitee, renewed by inviting again.
 */
export class GroupInvitations {
  readonly #deps: InvitationDeps;

  constructor(deps: InvitationDeps) {
    this.#deps = deps;
  }

  /** Within a change holding the group's lock: invites these users (renewing pending invitations) and tells them. */
  async issue(
    w: WriteContext,
    group: Group,
    inviterId: string,
    inviteeIds: string[],
    profiles: Map<string, ProfileSummary>,
  ): Promise<void> {
    if (inviteeIds.length === 0) return;
    const expiresAt = new Date(w.now.getTime() + this.#deps.ttlSeconds * 1000);
    await w.tx.upsertInvitations(group.id, inviterId, inviteeIds, w.now, expiresAt);
    w.emit({
      kind: GroupEvents.invited,
      groupId: group.id,
      recipients: inviteeIds,
      payload: {
        groupId: group.id,
        group: { name: group.name, avatar: group.avatar ?? null, memberCount: group.memberCount },
        inviterId,
        inviter: profiles.get(inviterId) ?? null,
        expiresAt: expiresAt.toISOString(),
      },
      changed: false,
    });
  }

  /** My pending invitations, newest first. Lapsed ones are cleared on the way. */
  async listMine(
    userId: string,
    page: number,
    pageSize: number,
  ): Promise<{ total: number; invitations: InvitationView[] }> {
    const { total, invitations } = await this.#deps.store.invitationPage(userId, new Date(), {
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    const inviters = await this.#deps.changes.profiles(invitations.map((found) => found.inviterId));
    return {
      total,
      invitations: invitations.map((found) => ({ ...found, inviter: inviters.get(found.inviterId) })),
    };
  }

  /**
   * Accepts my invitation to a group: I join as if the inviter had added me (group size limit,
   * system message and notices to the members); 40118 when there is none that still counts.
   */
  async accept(origin: Origin, groupId: string): Promise<{ groupId: string; status: 'accepted' }> {
    const userId = origin.userId;
    const found = await this.#deps.store.standingInviter(groupId, userId, new Date());
    if (found === null) throw new AppError(ErrorCode.GROUP_INVITATION_NOT_FOUND);
    const profiles = await this.#deps.changes.profiles([userId, found]);
    return this.#deps.changes.write(async (w) => {
      const locked = await this.#deps.changes.lock(w, groupId, userId);
      if (locked.me) throw new AppError(ErrorCode.GROUP_ALREADY_MEMBER);
      // Under the group's lock: the inviter is still a member who may invite.
      const inviterId = await w.tx.standingInviter(groupId, userId, w.now);
      if (inviterId === null) throw new AppError(ErrorCode.GROUP_INVITATION_NOT_FOUND);
      await this.#deps.changes.addMembers(w, locked, [userId], {
        origin,
        via: 'invitation',
        text: `${nameOf(profiles, userId)} joined the group at ${nameOf(profiles, inviterId)}'s invitation`,
        inviterId,
        profiles,
      });
      this.#handled(w, origin, groupId, inviterId, 'accepted');
      return { groupId, status: 'accepted' as const };
    });
  }

  /** Declines my invitation to a group: it is gone, and the inviter is told; 40118 when there is none. */
  async decline(origin: Origin, groupId: string): Promise<{ groupId: string; status: 'declined' }> {
    return this.#deps.changes.write(async (w) => {
      const invitation = await w.tx.invitation(groupId, origin.userId);
      if (!invitation || invitation.expiresAt <= w.now)
        throw new AppError(ErrorCode.GROUP_INVITATION_NOT_FOUND);
      w.tx.removeInvitation(invitation);
      this.#handled(w, origin, groupId, invitation.inviterId, 'declined');
      return { groupId, status: 'declined' as const };
    });
  }

  #handled(
    w: WriteContext,
    origin: Origin,
    groupId: string,
    inviterId: string,
    status: 'accepted' | 'declined',
  ): void {
    w.emit({
      kind: GroupEvents.invitationHandled,
      groupId,
      recipients: [origin.userId, inviterId],
      payload: { groupId, userId: origin.userId, inviterId, status, handledAt: w.now.toISOString() },
      origin,
      changed: false,
    });
  }
}
