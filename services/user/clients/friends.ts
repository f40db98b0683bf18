import { FriendService } from '../../platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import { BulkCalls, callBulk } from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** How `userId` stands towards `peerId` (friends, blocked either way), from the friend service. */
export function relationOf(invoke: InvokePort, userId: string, peerId: string) {
  return invoke.call(FriendService.method.getRelation, { userId, peerId });
}

/** Which of `peerIds` are friends of `userId`. */
export async function friendsAmong(
  invoke: InvokePort,
  userId: string,
  peerIds: string[],
): Promise<Set<string>> {
  const relations = await callBulk(invoke, BulkCalls.relations, peerIds, { userId });
  return new Set(relations.filter((relation) => relation.isFriend).map((relation) => relation.peerId));
}
