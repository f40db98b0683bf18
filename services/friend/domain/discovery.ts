import { type ProfileSummary, visibleTo } from '../../platform/contracts/index.ts';
import type { UserClient } from '../clients/users.ts';
import type { FriendStore } from '../store/index.ts';

export interface ContactMatch {
  phoneHash: string;
  userId: string;
  profile: ProfileSummary;
  isFriend: boolean;
}

export interface Recommendation {
  userId: string;
  profile: ProfileSummary;
  mutualFriends: number;
}

/** How many friends of friends are read before the ones that cannot be shown are left out. */
const RECOMMENDATION_POOL = 4;

/**
 * Finding people: registered users in a phone book (by contact hashes only; the book itself is
 * neither sent nor kept) and friends of friends. Each shows only users whose privacy settings let
 * the caller find them, who have not blacklisted the caller, and whose account exists.
 */
export class Discovery {
  readonly #store: FriendStore;
  readonly #users: UserClient;

  constructor(store: FriendStore, users: UserClient) {
    this.#store = store;
    this.#users = users;
  }

  async matchContacts(userId: string, phoneHashes: string[]): Promise<ContactMatch[]> {
    const found = (await this.#users.findByPhoneHashes(phoneHashes)).filter((m) => m.userId !== userId);
    if (found.length === 0) return [];
    const ids = found.map((match) => match.userId);
    const [privacy, relations, profiles] = await Promise.all([
      this.#users.privacy(ids),
      this.#store.relations(userId, ids),
      this.#users.profiles(ids),
    ]);
    const relationOf = new Map(relations.map((relation) => [relation.peerId, relation]));
    return found.flatMap((match) => {
      const relation = relationOf.get(match.userId);
      const profile = profiles.get(match.userId);
      const findByPhone = privacy.get(match.userId)?.findByPhone ?? 'nobody';
      if (!relation || !profile || profile.accountDeleted || relation.blockedByPeer) return [];
      if (!visibleTo(findByPhone, relation.isFriend)) return [];
      return [{ phoneHash: match.phoneHash, userId: match.userId, profile, isFriend: relation.isFriend }];
    });
  }

  /** Friends of friends the caller may ask to be friends, most friends in common first. */
  async recommendations(userId: string, limit: number): Promise<Recommendation[]> {
    const candidates = await this.#store.friendsOfFriends(userId, limit * RECOMMENDATION_POOL);
    if (candidates.length === 0) return [];
    const ids = candidates.map((candidate) => candidate.userId);
    const [privacy, profiles] = await Promise.all([this.#users.privacy(ids), this.#users.profiles(ids)]);
    return candidates
      .flatMap((candidate) => {
        const profile = profiles.get(candidate.userId);
        // Whoever takes requests from nobody is not offered; friends of friends pass the other settings.
        if (!profile || profile.accountDeleted || privacy.get(candidate.userId)?.addMe === 'nobody')
          return [];
        return [{ ...candidate, profile }];
      })
      .slice(0, limit);
  }
}
