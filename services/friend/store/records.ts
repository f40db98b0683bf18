import type { Friendship } from '../entities.ts';

/** A row of a user's friend list as views are made of it. */
export type FriendRecord = Pick<
  Friendship,
  'friendId' | 'remark' | 'categoryId' | 'isMuted' | 'isStarred' | 'createdAt' | 'version'
> & { deleted?: boolean };

export interface ListedFriendPage {
  rows: FriendRecord[];
  total: number;
  updateTime: number;
  hasMore: boolean;
}

/** A page of a user's friends (optionally of one category; `null`: the default one), or the changes after `since`. */
export interface FriendListOptions {
  since?: number | undefined;
  categoryId?: string | null | undefined;
  page: number;
  pageSize: number;
}
