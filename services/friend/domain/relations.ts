import type { PeerRelation, Relation } from '../../platform/contracts/index.ts';
import type { FriendStore } from '../store/index.ts';

const NONE: Relation = { isFriend: false, blockedByPeer: false, blocking: false };

/** What other services ask of the friend service: who is whose friend, who blacklisted whom. */
export class Relations {
  readonly #store: FriendStore;

  constructor(store: FriendStore) {
    this.#store = store;
  }

  /** Ids of a user's friends. */
  friendIds(userId: string): Promise<string[]> {
    return this.#store.friendIds(userId);
  }

  /** How `userId` stands towards `peerId`. */
  async relation(userId: string, peerId: string): Promise<Relation> {
    if (userId === peerId) return NONE;
    return this.#store.relation(userId, peerId);
  }

  /** How each user stands towards their peer, in one statement (one entry per pair, in order). */
  async pairRelations(pairs: Array<{ userId: string; peerId: string }>): Promise<Relation[]> {
    if (pairs.length === 0) return [];
    const found = await this.#store.pairRelations(pairs);
    return pairs.map(({ userId, peerId }, index) => (userId === peerId ? NONE : found[index]!));
  }

  /** How `userId` stands towards each of `peerIds`, in one statement (one entry per peer). */
  async relations(userId: string, peerIds: string[]): Promise<PeerRelation[]> {
    const peers = [...new Set(peerIds)];
    if (peers.length === 0) return [];
    const found = await this.#store.relations(userId, peers);
    // A user stands in no relation to himself.
    return found.map((relation) => (relation.peerId === userId ? { peerId: userId, ...NONE } : relation));
  }
}
