import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Friends of a user's friends who are not yet their friends, with how many friends they have in
 * common, most first; neither side has the other on a blacklist.
 */
export async function friendsOfFriends(
  em: EntityManager,
  userId: string,
  limit: number,
): Promise<Array<{ userId: string; mutualFriends: number }>> {
  const rows = await em.execute<Array<{ user_id: string; mutual: string }>>(
    `select b."friend_id"::text as "user_id", count(*) as "mutual"
       from "friend"."friendships" a
       join "friend"."friendships" b on b."user_id" = a."friend_id" and b."status" = 1
      where a."user_id" = ? and a."status" = 1 and b."friend_id" <> ?
        and not exists (select 1 from "friend"."friendships" f
                         where f."user_id" = ? and f."friend_id" = b."friend_id" and f."status" = 1)
        and not exists (select 1 from "friend"."blacklists" x
                         where (x."user_id" = ? and x."blocked_user_id" = b."friend_id")
                            or (x."user_id" = b."friend_id" and x."blocked_user_id" = ?))
      group by b."friend_id"
      order by count(*) desc, b."friend_id"
      limit ?`,
    [userId, userId, userId, userId, userId, limit],
  );
  return rows.map((row) => ({ userId: row.user_id, mutualFriends: Number(row.mutual) }));
}
