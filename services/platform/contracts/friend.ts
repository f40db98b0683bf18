/** Internal methods and events of the friend service that other services rely on. */
export const FriendMethods = {
  /** How `userId` stands towards `peerId` (may userId message peerId?). */
  relation: 'relations.get',
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
