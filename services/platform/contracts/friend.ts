import { bulkMethod } from './bulk.ts';

/** Internal methods and events of the friend service that other services rely on. */
export const FriendMethods = {
  /** How `userId` stands towards `peerId` (may userId message peerId?). */
  relation: 'relations.get',
  /** How `userId` stands towards each of `peerIds`: `PeerRelation[]` in any order (go through FriendBulkMethods). */
  relations: 'relations.bulk',
  /** Ids of a user's friends (presence fan-out). */
  friendIds: 'friends.ids',
} as const;

export interface RelationRequest {
  userId: string;
  peerId: string;
}

export interface Relation {
  isFriend: boolean;
  /** peerId has userId on their blacklist. */
  blockedByPeer: boolean;
  /** userId has peerId on their blacklist. */
  blocking: boolean;
}

export interface FriendIdsRequest {
  userId: string;
}

export interface FriendIds {
  friendIds: string[];
}

export interface PeerRelation extends Relation {
  peerId: string;
}

/** The bulk methods of the friend service. */
export const FriendBulkMethods = {
  /** `{userId, peerIds}` → one `PeerRelation` per peer. */
  relations: bulkMethod<PeerRelation, { userId: string }>('friend', FriendMethods.relations, 'peerIds'),
};
