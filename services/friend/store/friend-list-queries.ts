import type { EntityManager } from '@mikro-orm/postgresql';
import { syncPage } from '../../platform/db/index.ts';
import { FriendshipStatus } from '../entities.ts';
import type { FriendListOptions, FriendRecord, ListedFriendPage } from './records.ts';

interface FriendRow {
  friend_id: string;
  remark: string | null;
  category_id: string | null;
  is_muted: boolean;
  is_starred: boolean;
  status: number;
  row_version: string;
  created_at: Date | string;
}

const COLUMNS = `"friend_id", "remark", "category_id", "is_muted", "is_starred", "status",
  "version" as "row_version", "created_at"`;

/**
 * Without `since`: one page of a user's friends (optionally of one category; `null` = the default
 * one). With `since`: the rows changed after that cursor in version order, deletions included,
 * `pageSize` at a time; `updateTime` is the cursor to continue from.
 */
export async function friendListPage(
  em: EntityManager,
  userId: string,
  options: FriendListOptions,
): Promise<ListedFriendPage> {
  const incremental = options.since !== undefined;
  let filter = '';
  const filterParams: unknown[] = [];
  if (options.categoryId === null) filter = ' and "category_id" is null';
  else if (options.categoryId !== undefined) {
    filter = ' and "category_id" = ?';
    filterParams.push(options.categoryId);
  }
  const page = incremental
    ? {
        sql: `select ${COLUMNS} from "friend"."friendships"
              where "user_id" = ? and "version" > ? order by "version" limit ?`,
        params: [userId, options.since, options.pageSize + 1],
      }
    : {
        sql: `select ${COLUMNS} from "friend"."friendships"
              where "user_id" = ? and "status" = 1${filter} order by "friend_id" limit ? offset ?`,
        params: [userId, ...filterParams, options.pageSize, (options.page - 1) * options.pageSize],
      };
  // One statement, one snapshot: the cursor is the largest version this page could have seen.
  const rows = await em.execute<Array<FriendRow & { cursor: string | null; total: string }>>(
    `select s."cursor", s."total", f.* from (select
       (select max("version") from "friend"."friendships" where "user_id" = ?) as "cursor",
       (select count(*) from "friend"."friendships" where "user_id" = ? and "status" = 1${incremental ? '' : filter}) as "total"
     ) s left join lateral (${page.sql}) f on true`,
    [userId, userId, ...(incremental ? [] : filterParams), ...page.params],
  );
  const found = rows.filter((row) => row.friend_id !== null);
  const { rows: shown, ...result } = syncPage(rows[0]!, found, { ...options, incremental });
  return {
    rows: shown.map(
      (row): FriendRecord => ({
        friendId: String(row.friend_id),
        deleted: row.status !== FriendshipStatus.ACTIVE,
        remark: row.remark,
        categoryId: row.category_id === null ? null : String(row.category_id),
        isMuted: row.is_muted,
        isStarred: row.is_starred,
        createdAt: new Date(row.created_at),
        version: Number(row.row_version),
      }),
    ),
    ...result,
  };
}

/** How many friends a user has in each category (`null`: the default one). */
export async function categoryCounts(em: EntityManager, userId: string): Promise<Map<string | null, number>> {
  const rows = await em.execute<Array<{ category_id: string | null; friends: string }>>(
    `select "category_id", count(*) as "friends" from "friend"."friendships"
     where "user_id" = ? and "status" = 1 group by "category_id"`,
    [userId],
  );
  return new Map(
    rows.map((row) => [row.category_id === null ? null : String(row.category_id), Number(row.friends)]),
  );
}
