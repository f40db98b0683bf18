import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { GroupRole } from '../../platform/contracts/index.ts';
import { SyncClock } from '../../platform/db/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import {
  Group,
  GroupInvitation,
  GroupJoinRequest,
  GroupMember,
  JoinRequestStatus,
  MemberStatus,
} from '../entities.ts';
import { standingInviter } from './invitation-queries.ts';

/** Where this service keeps its users' sync clocks. */
const SYNC_CLOCKS = '"group"."sync_versions"';

/**
 * The group service's writes within one transaction (see GroupStore.transaction). Entities read
 * here are managed: what the domain changes on them is written when the transaction ends.
 */
export class GroupWrites {
  readonly #em: EntityManager;
  readonly #ids: SnowflakeGenerator;
  #clock: SyncClock | undefined;

  constructor(em: EntityManager, ids: SnowflakeGenerator) {
    this.#em = em;
    this.#ids = ids;
  }

  /** The group under its row lock (every change of a group holds it); null when unknown. */
  lockGroup(groupId: string): Promise<Group | null> {
    return this.#em.findOne(Group, { id: groupId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** Active members, earliest first. */
  activeMembers(groupId: string): Promise<GroupMember[]> {
    return this.#em.find(
      GroupMember,
      { groupId, status: MemberStatus.ACTIVE },
      { orderBy: { joinedAt: 'asc', userId: 'asc' } },
    );
  }

  async createGroup(data: Omit<Group, 'id'>): Promise<Group> {
    const group = this.#em.create(Group, { id: this.#ids.next(), ...data });
    await this.#em.flush();
    return group;
  }

  /** Inserts (or brings back) memberships with a fresh start: no nickname, no mute. */
  async insertMembers(groupId: string, userIds: string[], role: GroupRole, now: Date): Promise<void> {
    if (userIds.length === 0) return;
    const rows = userIds.map((userId) => ({ id: this.#ids.next(), userId }));
    await this.#em.execute(
      `insert into "group"."group_members"
         ("id", "group_id", "user_id", "role", "group_nickname", "muted_until", "status", "left_reason",
          "version", "joined_at", "updated_at")
       select (r->>'id')::bigint, ?, (r->>'userId')::bigint, ?, null, null, 1, null, 0, ?, ?
       from jsonb_array_elements(?::jsonb) r
       on conflict ("group_id", "user_id") do update set "role" = excluded."role", "group_nickname" = null,
         "muted_until" = null, "status" = 1, "left_reason" = null, "joined_at" = excluded."joined_at",
         "updated_at" = excluded."updated_at"`,
      [groupId, role, now, now, JSON.stringify(rows)],
    );
  }

  /** New members' pending join requests are accepted by their joining, and their invitations used up. */
  async settleJoined(groupId: string, userIds: string[], handledBy: string, now: Date): Promise<void> {
    await this.#em.nativeUpdate(
      GroupJoinRequest,
      { groupId, userId: { $in: userIds }, status: JoinRequestStatus.PENDING },
      { status: JoinRequestStatus.ACCEPTED, handledBy, handledAt: now, updatedAt: now },
    );
    await this.#em.nativeDelete(GroupInvitation, { groupId, inviteeId: { $in: userIds } });
  }

  /** Moves the group-list rows of these users for this group to new sync versions; once per transaction. */
  async touch(groupId: string, userIds: string[]): Promise<void> {
    if (this.#clock) throw new Error('group lists are touched once per transaction');
    await this.#em.flush();
    const clock = await SyncClock.lock(this.#em, SYNC_CLOCKS, userIds);
    this.#clock = clock;
    const versions = [...new Set(userIds)].map((id) => ({ user_id: id, version: clock.next(id) }));
    await this.#em.execute(
      `update "group"."group_members" as m set "version" = v."version"
       from jsonb_to_recordset(?::jsonb) as v("user_id" bigint, "version" bigint)
       where m."group_id" = ? and m."user_id" = v."user_id"`,
      [JSON.stringify(versions), groupId],
    );
  }

  pendingJoinRequest(groupId: string, userId: string): Promise<GroupJoinRequest | null> {
    return this.#em.findOne(GroupJoinRequest, { groupId, userId, status: JoinRequestStatus.PENDING });
  }

  createJoinRequest(data: Omit<GroupJoinRequest, 'id'>): GroupJoinRequest {
    return this.#em.create(GroupJoinRequest, { id: this.#ids.next(), ...data });
  }

  joinRequest(requestId: string, groupId: string): Promise<GroupJoinRequest | null> {
    return this.#em.findOne(GroupJoinRequest, { id: requestId, groupId });
  }

  /** Invites these users (renewing pending invitations: one per group and invitee). */
  async upsertInvitations(
    groupId: string,
    inviterId: string,
    inviteeIds: string[],
    now: Date,
    expiresAt: Date,
  ): Promise<void> {
    const rows = inviteeIds.map((inviteeId) => ({ id: this.#ids.next(), inviteeId }));
    await this.#em.execute(
      `insert into "group"."group_invitations" ("id", "group_id", "invitee_id", "inviter_id", "created_at", "expires_at")
       select (r->>'id')::bigint, ?, (r->>'inviteeId')::bigint, ?, ?, ?
       from jsonb_array_elements(?::jsonb) r
       on conflict ("group_id", "invitee_id") do update set "inviter_id" = excluded."inviter_id",
         "created_at" = excluded."created_at", "expires_at" = excluded."expires_at"`,
      [groupId, inviterId, now, expiresAt, JSON.stringify(rows)],
    );
  }

  invitation(groupId: string, inviteeId: string): Promise<GroupInvitation | null> {
    return this.#em.findOne(GroupInvitation, { groupId, inviteeId });
  }

  removeInvitation(invitation: GroupInvitation): void {
    this.#em.remove(invitation);
  }

  /** The inviter of this user's invitation to this group if it still counts (see invitation-queries.ts). */
  standingInviter(groupId: string, userId: string, now: Date): Promise<string | null> {
    return standingInviter(this.#em, groupId, userId, now);
  }

  /** Writes what the transaction changed, and the sync clocks it moved; before commit. */
  async finish(): Promise<void> {
    await this.#em.flush();
    await this.#clock?.save(this.#em);
  }
}
