import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { FriendCategory } from '../entities.ts';
import type { FriendStore, FriendWrites } from '../store/index.ts';
import type { FriendChanges } from './changes.ts';
import { FriendEvents } from './events.ts';
import type { CategoryView, Origin } from './types.ts';

/** Most categories one user may create. */
export const MAX_CATEGORIES = 50;

/** A user's own groupings of friends; friends in none are in the default category. */
export class Categories {
  readonly #store: FriendStore;
  readonly #changes: FriendChanges;

  constructor(store: FriendStore, changes: FriendChanges) {
    this.#store = store;
    this.#changes = changes;
  }

  async create(origin: Origin, name: string): Promise<CategoryView> {
    const userId = origin.userId;
    return this.#changes.write(async (w) => {
      await w.tx.lock([userId]);
      if ((await w.tx.categoryCount(userId)) >= MAX_CATEGORIES)
        throw new AppError(ErrorCode.INVALID_PARAMS, { detail: `at most ${MAX_CATEGORIES} categories` });
      await this.#assertFreeName(w.tx, userId, name);
      const category = w.tx.createCategory(userId, name);
      w.notify(
        FriendEvents.categoryChanged,
        [userId],
        { action: 'created', categoryId: category.id, name },
        { origin },
      );
      return { category, friendCount: 0 };
    });
  }

  async list(userId: string): Promise<{ categories: CategoryView[]; defaultFriendCount: number }> {
    const { categories, counts } = await this.#store.categories(userId);
    return {
      categories: categories.map((category) => ({ category, friendCount: counts.get(category.id) ?? 0 })),
      defaultFriendCount: counts.get(null) ?? 0,
    };
  }

  async rename(origin: Origin, categoryId: string, name: string): Promise<CategoryView> {
    const userId = origin.userId;
    return this.#changes.write(async (w) => {
      await w.tx.lock([userId]);
      const category = await this.#own(w.tx, userId, categoryId);
      if (category.name !== name) {
        await this.#assertFreeName(w.tx, userId, name);
        category.name = name;
        w.notify(FriendEvents.categoryChanged, [userId], { action: 'renamed', categoryId, name }, { origin });
      }
      return { category, friendCount: await w.tx.countIn(userId, categoryId) };
    });
  }

  /** Deletes a category; its friends go back to the default category. */
  async delete(origin: Origin, categoryId: string): Promise<{ movedFriendIds: string[] }> {
    const userId = origin.userId;
    return this.#changes.write(async (w) => {
      const clock = await w.tx.lock([userId]);
      const category = await this.#own(w.tx, userId, categoryId);
      const members = await w.tx.friendsIn(userId, categoryId);
      const now = new Date();
      if (members.length > 0) {
        const first = clock.next(userId, members.length);
        members.forEach((row, index) => {
          Object.assign(row, { categoryId: null, version: first + index, updatedAt: now });
        });
        await w.tx.flush();
      }
      w.tx.removeCategory(category);
      const movedFriendIds = members.map((row) => row.friendId);
      w.notify(
        FriendEvents.categoryChanged,
        [userId],
        { action: 'deleted', categoryId, name: category.name, movedFriendIds },
        { origin },
      );
      return { movedFriendIds };
    });
  }

  async #own(tx: FriendWrites, userId: string, categoryId: string): Promise<FriendCategory> {
    const category = await tx.category(userId, categoryId);
    if (!category) throw new AppError(ErrorCode.NOT_FOUND, { detail: `category ${categoryId}` });
    return category;
  }

  async #assertFreeName(tx: FriendWrites, userId: string, name: string): Promise<void> {
    if (await tx.categoryNamed(userId, name))
      throw new AppError(ErrorCode.INVALID_PARAMS, { detail: `a category named "${name}" already exists` });
  }
}
