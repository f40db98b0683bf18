import type { EntityManager } from '@mikro-orm/postgresql';
import { GroupStatus, MemberStatus } from '../entities.ts';

/**
 * Groups larger than this do not count towards "groups in common": sharing a 5,000-member channel
 * says little about knowing someone, and counting its members for every caller would be costly.
 */
export const COMMON_GROUP_MAX_MEMBERS = 500;

/**
 * People in the user's active (not dismissed) groups of at most COMMON_GROUP_MAX_MEMBERS members,
 * with how many of those groups they share with the user, most first (friend recommendations).
 */
export async function commonGroupPeersOf(
  em: EntityManager,
  userId: string,
  limit: number,
): Promise<Array<{ userId: string; commonGroups: number }>> {
  const rows = await em.execute<Array<{ user_id: string; common: string }>>(
    `select o."user_id"::text as "user_id", count(*) as "common"
       from "group"."group_members" m
       join "group"."groups" g on g."id" = m."group_id"
        and g."status" <> ${GroupStatus.DISMISSED} and g."member_count" <= ${COMMON_GROUP_MAX_MEMBERS}
       join "group"."group_members" o on o."group_id" = m."group_id" and o."status" = ${MemberStatus.ACTIVE}
        and o."user_id" <> m."user_id"
      where m."user_id" = ? and m."status" = ${MemberStatus.ACTIVE}
      group by o."user_id"
      order by count(*) desc, o."user_id"
      limit ?`,
    [userId, limit],
  );
  return rows.map((row) => ({ userId: row.user_id, commonGroups: Number(row.common) }));
}
