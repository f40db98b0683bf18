import type { EntityManager } from '@mikro-orm/postgresql';
import { countedPage } from '../../platform/db/index.ts';
import { GroupInvitation, GroupStatus, MemberStatus } from '../entities.ts';

/** A pending invitation as its invitee lists it, with the group's public part. */
export interface InvitationRecord {
  groupId: string;
  group: { name: string; avatar: string | null; memberCount: number };
  inviterId: string;
  createdAt: Date;
  expiresAt: Date;
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

/** The inviter of this user's invitation to this group if it still counts; null otherwise. */
export async function standingInviter(
  em: EntityManager,
  groupId: string,
  userId: string,
  now: Date,
): Promise<string | null> {
  const [row] = await em.execute<Array<{ inviter_id: string }>>(
    `select i."inviter_id"::text as "inviter_id" ${FROM}
      where i."group_id" = ? and i."invitee_id" = ? and ${STANDING}`,
    [groupId, userId, now],
  );
  return row?.inviter_id ?? null;
}

/** A user's invitations that still count, newest first; lapsed ones are cleared on the way. */
export async function invitationPage(
  em: EntityManager,
  userId: string,
  now: Date,
  page: { limit: number; offset: number },
): Promise<{ total: number; invitations: InvitationRecord[] }> {
  await em.nativeDelete(GroupInvitation, { inviteeId: userId, expiresAt: { $lte: now } });
  const { total, rows } = await countedPage<InvitationRow>(em, {
    select: `i."group_id"::text as "group_id", i."inviter_id"::text as "inviter_id", i."created_at",
             i."expires_at", g."name", g."avatar", g."member_count"`,
    from: `${FROM} where i."invitee_id" = ? and ${STANDING}`,
    orderBy: 'i."created_at" desc, i."id" desc',
    params: [userId, now],
    ...page,
  });
  return {
    total,
    invitations: rows.map((row) => ({
      groupId: row.group_id,
      group: { name: row.name, avatar: row.avatar, memberCount: Number(row.member_count) },
      inviterId: row.inviter_id,
      createdAt: new Date(row.created_at),
      expiresAt: new Date(row.expires_at),
    })),
  };
}
