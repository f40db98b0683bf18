import { FriendService } from '../../platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import { privacySettingsOf } from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/**
 * What the gateway asks of the friend service: relations (typing notices) and friend lists
 * (presence, as the user's privacy setting in the user service allows).
 */
export class FriendsClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** How `userId` stands towards `peerId`. */
  async relation(userId: string, peerId: string) {
    const { isFriend, blockedByPeer, blocking } = await this.#invoke.call(FriendService.method.getRelation, {
      userId,
      peerId,
    });
    return { isFriend, blockedByPeer, blocking };
  }

  /** Ids of the user's friends. */
  async friendIds(userId: string): Promise<string[]> {
    return (await this.#invoke.call(FriendService.method.listFriendIds, { userId })).friendIds;
  }

  /**
   * Who is told that the user came online or went offline: their friends, unless the user's
   * privacy setting shows their presence to nobody (then no one is).
   */
  async presenceAudience(userId: string): Promise<string[]> {
    const privacy = await privacySettingsOf(this.#invoke, [userId]);
    if (privacy.get(userId)?.presence === 'nobody') return [];
    return this.friendIds(userId);
  }
}
