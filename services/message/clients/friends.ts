import { FriendService } from '../../platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import { MAX_RELATION_PAIRS, type Relation } from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';
import { TurnBatch } from '../../platform/turn-batch.ts';

/**
 * What the message path asks of the friend service. Every one-to-one send checks the relation of
 * its two users; the checks of one event-loop turn (the frames read together under load) go as one
 * call and one statement. Nothing is cached: a block or an unfriending holds from the next send on.
 */
export class FriendClient {
  readonly #invoke: InvokePort;
  readonly #relations = new TurnBatch<string, Relation>((keys) => this.#fetch(keys));

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** How `userId` stands towards `peerId`: friends, and whether either blocks the other. */
  async relation(userId: string, peerId: string): Promise<Relation> {
    const key = `${userId}:${peerId}`;
    const relation = (await this.#relations.get([key])).get(key);
    if (!relation) throw new Error('the friend service answered fewer relations than pairs asked');
    return relation;
  }

  async #fetch(keys: string[]): Promise<Map<string, Relation>> {
    const found = new Map<string, Relation>();
    for (let start = 0; start < keys.length; start += MAX_RELATION_PAIRS) {
      const chunk = keys.slice(start, start + MAX_RELATION_PAIRS);
      const pairs = chunk.map((key) => {
        const [userId, peerId] = key.split(':') as [string, string];
        return { userId, peerId };
      });
      const { relations } = await this.#invoke.call(FriendService.method.getPairRelations, { pairs });
      chunk.forEach((key, index) => {
        const relation = relations[index];
        if (relation)
          found.set(key, {
            isFriend: relation.isFriend,
            blockedByPeer: relation.blockedByPeer,
            blocking: relation.blocking,
          });
      });
    }
    return found;
  }
}
