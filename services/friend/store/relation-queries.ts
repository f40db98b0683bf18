import type { EntityManager } from '@mikro-orm/postgresql';
import type { PeerRelation, Relation } from '../../platform/contracts/index.ts';

/** How `userId` stands towards `peerId`: friends, blacklisted by either side. */
export async function relationOf(em: EntityManager, userId: string, peerId: string): Promise<Relation> {
  const [relation] = await relationsOfPairs(em, [{ userId, peerId }]);
  return relation!;
}

/** How each user stands towards their peer, for many pairs in one statement (in the order given). */
export async function relationsOfPairs(
  em: EntityManager,
  pairs: Array<{ userId: string; peerId: string }>,
): Promise<Relation[]> {
  const rows = await em.execute<Array<{ is_friend: boolean; blocking: boolean; blocked_by_peer: boolean }>>(
    `select
       exists(select 1 from "friend"."friendships" f
               where f."user_id" = p."user_id" and f."friend_id" = p."peer_id" and f."status" = 1) as "is_friend",
       exists(select 1 from "friend"."blacklists" b
               where b."user_id" = p."user_id" and b."blocked_user_id" = p."peer_id") as "blocking",
       exists(select 1 from "friend"."blacklists" b
               where b."user_id" = p."peer_id" and b."blocked_user_id" = p."user_id") as "blocked_by_peer"
     from jsonb_to_recordset(?::jsonb) as p("i" int, "user_id" bigint, "peer_id" bigint)
     order by p."i"`,
    [JSON.stringify(pairs.map(({ userId, peerId }, i) => ({ i, user_id: userId, peer_id: peerId })))],
  );
  return rows.map((row) => ({
    isFriend: row.is_friend,
    blockedByPeer: row.blocked_by_peer,
    blocking: row.blocking,
  }));
}

/** How `userId` stands towards each of `peerIds` (distinct), in one statement. */
export async function relationsOf(
  em: EntityManager,
  userId: string,
  peerIds: string[],
): Promise<PeerRelation[]> {
  const rows = await em.execute<
    Array<{ peer_id: string; is_friend: boolean; blocking: boolean; blocked_by_peer: boolean }>
  >(
    `select p."peer_id"::text as "peer_id",
     exists(select 1 from "friend"."friendships" f
             where f."user_id" = ? and f."friend_id" = p."peer_id" and f."status" = 1) as "is_friend",
     exists(select 1 from "friend"."blacklists" b
             where b."user_id" = ? and b."blocked_user_id" = p."peer_id") as "blocking",
     exists(select 1 from "friend"."blacklists" b
             where b."user_id" = p."peer_id" and b."blocked_user_id" = ?) as "blocked_by_peer"
   from (select value::bigint as "peer_id" from jsonb_array_elements_text(?::jsonb)) p`,
    [userId, userId, userId, JSON.stringify(peerIds)],
  );
  return rows.map((row) => ({
    peerId: row.peer_id,
    isFriend: row.is_friend,
    blockedByPeer: row.blocked_by_peer,
    blocking: row.blocking,
  }));
}
