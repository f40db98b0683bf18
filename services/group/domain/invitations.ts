import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { BriefProfile } from '../../platform/contracts/index.ts';
import { countedPage } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import { type Group, GroupInvitation, GroupStatus, MemberStatus } from '../entities.ts';
import { GroupEvents } from './events.ts';
import type { AddHow, Locked, Origin, WriteContext } from './group-service.ts';

/** What an invitee sees of a pending invitation. */
export interface InvitationView {
  groupId: string;
  group: { name: string; avatar: string | null; memberCount: number };
  inviterId: string;
  inviter: BriefProfile | undefined;
  createdAt: Date;
  expiresAt: Date;
}

/** The parts of the group service an invitation's answer goes through (one lock, one way in). */
export interface InvitationDeps {
  orm: MikroORM;
  ids: SnowflakeGenerator;
  ttlSeconds: number;
  write<T>(work: (w: WriteContext) => Promise<T>): Promise<T>;
  lock(w: WriteContext, groupId: string, userId: string): Promise<Locked>;
  addMembers(w: WriteContext, locked: Locked, userIds: string[], how: AddHow): Promise<void>;
  profiles(userIds: string[]): Promise<Map<string, BriefProfile>>;
}

interface InvitationRow {
  group_id: string;
  inviter_id: string;
  created_at: Date | string;
  expires_at: Date | string;
  name: string;
  avatar: string | null;
  member_count: number;
}

const FROM = `from "group"."group_invitations" i join "group"."groups" g on g."id" = i."group_id"`;

/**
 * Where an invitation still counts: not expired, the group not dismissed, and the inviter still a
 * member who may invite (admission.ts `mayInvite`): a removed member's invitations let nobody in.
 */
const STANDING = `i."expires_at" > ? and g."status" = ${GroupStatus.ACTIVE}
  and exists (select 1 from "group"."group_members" m
               where m."group_id" = i."group_id" and m."user_id" = i."inviter_id" and m."status" = ${MemberStatus.ACTIVE}
                 and (m."role" <> 'member' or g."member_invite"))`;

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
    profiles: Map<string, BriefProfile>,
  ): Promise<void> {
    if (inviteeIds.length === 0) return;
    const expiresAt = new Date(w.now.getTime() + this.#deps.ttlSeconds * 1000);
    const rows = inviteeIds.map((inviteeId) => ({ id: this.#deps.ids.next(), inviteeId }));
    await w.tx.execute(
      `insert into "group"."group_invitations" ("id", "group_id", "invitee_id", "inviter_id", "created_at", "expires_at")
       select (r->>'id')::bigint, ?, (r->>'inviteeId')::bigint, ?, ?, ?
       from jsonb_array_elements(?::jsonb) r
       on conflict ("group_id", "invitee_id") do update set "inviter_id" = excluded."inviter_id",
         "created_at" = excluded."created_at", "expires_at" = excluded."expires_at"`,
      [group.id, inviterId, w.now, expiresAt, JSON.stringify(rows)],
    );
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
    const em = this.#deps.orm.em.fork();
    const now = new Date();
    await em.nativeDelete(GroupInvitation, { inviteeId: userId, expiresAt: { $lte: now } });
    const { total, rows } = await countedPage<InvitationRow>(em, {
      select: `i."group_id"::text as "group_id", i."inviter_id"::text as "inviter_id", i."created_at",
               i."expires_at", g."name", g."avatar", g."member_count"`,
      from: `${FROM} where i."invitee_id" = ? and ${STANDING}`,
      orderBy: 'i."created_at" desc, i."id" desc',
      params: [userId, now],
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    const inviters = await this.#deps.profiles(rows.map((row) => row.inviter_id));
    return {
      total,
      invitations: rows.map((row) => ({
        groupId: row.group_id,
        group: { name: row.name, avatar: row.avatar, memberCount: Number(row.member_count) },
        inviterId: row.inviter_id,
        inviter: inviters.get(row.inviter_id),
        createdAt: new Date(row.created_at),
        expiresAt: new Date(row.expires_at),
      })),
    };
  }

  /**
   * Accepts my invitation to a group: I join as if the inviter had added me (group size limit,
   * system message and notices to the members); 40118 when there is none that still counts.
   */
  async accept(origin: Origin, groupId: string): Promise<{ groupId: string; status: 'accepted' }> {
    const userId = origin.userId;
    const found = await this.#standing(this.#deps.orm.em.fork(), groupId, userId, new Date());
    const profiles = await this.#deps.profiles([userId, found.inviterId]);
    return this.#deps.write(async (w) => {
      const locked = await this.#deps.lock(w, groupId, userId);
      if (locked.me) throw new AppError(ErrorCode.GROUP_ALREADY_MEMBER);
      // Under the group's lock: the inviter is still a member who may invite.
      const { inviterId } = await this.#standing(w.tx, groupId, userId, w.now);
      const name = (id: string) => profiles.get(id)?.nickname || id;
      await this.#deps.addMembers(w, locked, [userId], {
        origin,
        via: 'invitation',
        text: `${name(userId)} joined the group at ${name(inviterId)}'s invitation`,
        inviterId,
        profiles,
      });
      this.#handled(w, origin, groupId, inviterId, 'accepted');
      return { groupId, status: 'accepted' as const };
    });
  }

  /** Declines my invitation to a group: it is gone, and the inviter is told; 40118 when there is none. */
  async decline(origin: Origin, groupId: string): Promise<{ groupId: string; status: 'declined' }> {
    return this.#deps.write(async (w) => {
      const invitation = await w.tx.findOne(GroupInvitation, { groupId, inviteeId: origin.userId });
      if (!invitation || invitation.expiresAt <= w.now)
        throw new AppError(ErrorCode.GROUP_INVITATION_NOT_FOUND);
      w.tx.remove(invitation);
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

  /** The invitation of this user to this group that still counts; 40118 otherwise. */
  async #standing(em: EntityManager, groupId: string, userId: string, now: Date) {
    const [row] = await em.execute<Array<{ inviter_id: string }>>(
      `select i."inviter_id"::text as "inviter_id" ${FROM}
        where i."group_id" = ? and i."invitee_id" = ? and ${STANDING}`,
      [groupId, userId, now],
    );
    if (!row) throw new AppError(ErrorCode.GROUP_INVITATION_NOT_FOUND);
    return { inviterId: row.inviter_id };
  }
}
