/**
 * How one user stands towards another, as the friend service's domain answers it (its contract
 * messages: GetRelationResponse and PeerRelation of proto/anychat/friend/v1/friend.proto).
 */
export interface Relation {
  isFriend: boolean;
  /** peerId has userId on their blacklist. */
  blockedByPeer: boolean;
  /** userId has peerId on their blacklist. */
  blocking: boolean;
}

export interface PeerRelation extends Relation {
  peerId: string;
}

/** Pairs one GetPairRelations call takes: its input schema caps the list, callers split longer ones. */
export const MAX_RELATION_PAIRS = 500;
