import { type ProfileSummary, visibleTo } from '../../platform/contracts/index.ts';
import type { GroupClient } from '../clients/groups.ts';
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
  commonGroups: number;
  /** Why they are offered, strongest first, e.g. "3 common groups" and "2 mutual friends". */
  reasons: string[];
}

/** How many candidates of each source are read before the ones that cannot be shown are left out. */
const RECOMMENDATION_POOL = 4;

const plural = (count: number, one: string) => `${count} ${one}${count === 1 ? '' : 's'}`;

/** Reasons, the larger count first (a tie: groups first, as they say more about where we met). */
function reasonsOf(mutualFriends: number, commonGroups: number): string[] {
  const friends = mutualFriends > 0 ? [plural(mutualFriends, 'mutual friend')] : [];
  const groups = commonGroups > 0 ? [plural(commonGroups, 'common group')] : [];
  return mutualFriends > commonGroups ? [...friends, ...groups] : [...groups, ...friends];
}

/**
 * Finding people: registered users in a phone book (by contact hashes only; the book itself is
 * neither sent nor kept), and recommendations from friends of friends and people in common groups. Each shows only users whose privacy settings let
 * the caller find them, who have not blacklisted the caller, and whose account exists.
 */
export class Discovery {
  readonly #store: FriendStore;
  readonly #users: UserClient;
  readonly #groups: GroupClient;

  constructor(store: FriendStore, users: UserClient, groups: GroupClient) {
    this.#store = store;
    this.#users = users;
    this.#groups = groups;
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

  /**
   * People the caller may know: friends of friends and people in their groups, ranked by mutual
   * friends plus common groups. Never a friend, someone either side blacklisted, a deleted account,
   * someone who takes requests from nobody, or (taking them from friends of friends only) someone
   * who is not one.
   */
  async recommendations(userId: string, limit: number): Promise<Recommendation[]> {
    const pool = limit * RECOMMENDATION_POOL;
    const [viaFriends, viaGroups] = await Promise.all([
      this.#store.friendsOfFriends(userId, pool),
      this.#groups.commonGroupPeers(userId, pool),
    ]);
    const counts = new Map<string, { mutualFriends: number; commonGroups: number }>();
    const countOf = (id: string) => {
      const found = counts.get(id) ?? { mutualFriends: 0, commonGroups: 0 };
      counts.set(id, found);
      return found;
    };
    for (const entry of viaFriends) countOf(entry.userId).mutualFriends = entry.mutualFriends;
    for (const entry of viaGroups) countOf(entry.userId).commonGroups = entry.commonGroups;
    const ids = [...counts.keys()];
    if (ids.length === 0) return [];
    const [privacy, profiles, relations] = await Promise.all([
      this.#users.privacy(ids),
      this.#users.profiles(ids),
      // Friends of friends are filtered by their query already; people from groups are not.
      this.#store.relations(userId, ids),
    ]);
    const relationOf = new Map(relations.map((relation) => [relation.peerId, relation]));
    return [...counts]
      .flatMap(([id, { mutualFriends, commonGroups }]) => {
        const profile = profiles.get(id);
        const relation = relationOf.get(id);
        const addMe = privacy.get(id)?.addMe ?? 'nobody';
        if (!profile || profile.accountDeleted || !relation) return [];
        if (relation.isFriend || relation.blocking || relation.blockedByPeer) return [];
        if (addMe === 'nobody' || (addMe === 'friends_of_friends' && mutualFriends === 0)) return [];
        const reasons = reasonsOf(mutualFriends, commonGroups);
        return [{ userId: id, profile, mutualFriends, commonGroups, reasons }];
      })
      .sort(
        (a, b) =>
          b.mutualFriends + b.commonGroups - (a.mutualFriends + a.commonGroups) ||
          b.mutualFriends - a.mutualFriends ||
          (BigInt(a.userId) < BigInt(b.userId) ? -1 : 1),
      )
      .slice(0, limit);
  }
}
