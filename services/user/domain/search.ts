import type { MikroORM } from '@mikro-orm/postgresql';
import { type Privacy, visibleTo } from '../../platform/contracts/index.ts';
import { UserProfile } from '../entities.ts';
import type { PrivacySettings } from './privacy.ts';

export interface UserSearchDeps {
  orm: MikroORM;
  privacy: PrivacySettings;
  /** Which of these users are the viewer's friends (asked of the friend service). */
  friendsAmong: (viewerId: string, userIds: string[]) => Promise<Set<string>>;
}

/** The identifier a profile was found by exactly, and the privacy setting that guards it. */
const EXACT_FIELDS = [
  ['account', 'findByAccount'],
  ['phoneNumber', 'findByPhone'],
  ['email', 'findByEmail'],
] as const satisfies ReadonlyArray<readonly [keyof UserProfile, keyof Privacy]>;

/**
 * The user directory: account, phone number and e-mail match exactly (no harvesting by prefix),
 * each only where its owner lets the viewer find them by it; nicknames match by substring.
 * Exact matches come first, then nicknames by user id.
 */
export class UserSearch {
  readonly #deps: UserSearchDeps;

  constructor(deps: UserSearchDeps) {
    this.#deps = deps;
  }

  async search(
    viewerId: string,
    keyword: string,
    page: number,
    pageSize: number,
  ): Promise<{ total: number; users: UserProfile[] }> {
    const em = this.#deps.orm.em.fork();
    const term = keyword.trim();
    const exact = term.toLowerCase();
    const values = { account: exact, phoneNumber: term.replace(/[\s-]/g, ''), email: exact };
    // A deleted account is out of the directory: its placeholder is found by no keyword.
    const candidates = await em.find(
      UserProfile,
      { deletedAt: null, $or: EXACT_FIELDS.map(([field]) => ({ [field]: values[field] })) },
      { orderBy: { userId: 'asc' } },
    );
    const found = await this.#allowed(viewerId, candidates, values);
    const escaped = exact.replace(/[\\%_]/g, (c) => `\\${c}`);
    const offset = (page - 1) * pageSize;
    const first = found.slice(offset, offset + pageSize);
    const [byName, nameTotal] = await em.findAndCount(
      UserProfile,
      {
        deletedAt: null,
        nickname: { $ilike: `%${escaped}%` },
        ...(found.length > 0 ? { userId: { $nin: found.map((user) => user.userId) } } : {}),
      },
      {
        orderBy: { userId: 'asc' },
        limit: Math.max(1, pageSize - first.length),
        offset: Math.max(0, offset - found.length),
      },
    );
    const rest = first.length < pageSize ? byName.slice(0, pageSize - first.length) : [];
    return { total: found.length + nameTotal, users: [...first, ...rest] };
  }

  /** The exact matches the viewer may see: found by an identifier its owner lets them find it by. */
  async #allowed(
    viewerId: string,
    candidates: UserProfile[],
    values: Record<(typeof EXACT_FIELDS)[number][0], string>,
  ): Promise<UserProfile[]> {
    if (candidates.length === 0) return [];
    const ids = candidates.map((user) => user.userId);
    const [settings, friends] = await Promise.all([
      this.#deps.privacy.many(ids),
      this.#deps.friendsAmong(viewerId, ids),
    ]);
    const privacyOf = new Map(settings.map((entry) => [entry.userId, entry]));
    return candidates.filter((user) => {
      if (user.userId === viewerId) return true;
      const privacy = privacyOf.get(user.userId);
      return EXACT_FIELDS.some(
        ([field, setting]) =>
          user[field] === values[field] &&
          (!privacy || visibleTo(privacy[setting], friends.has(user.userId))),
      );
    });
  }
}
