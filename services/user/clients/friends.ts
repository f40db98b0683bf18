import { FriendService } from '../../platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** How `userId` stands towards `peerId` (friends, blocked either way), from the friend service. */
export function relationOf(invoke: InvokePort, userId: string, peerId: string) {
  return invoke.call(FriendService.method.getRelation, { userId, peerId });
}
