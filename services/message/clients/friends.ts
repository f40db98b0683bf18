import { FriendService } from '../../platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** What the message path asks of the friend service. */
export class FriendClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** How `userId` stands towards `peerId`: friends, and whether either blocks the other. */
  relation(userId: string, peerId: string) {
    return this.#invoke.call(FriendService.method.getRelation, { userId, peerId });
  }
}
