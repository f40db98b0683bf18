import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Sync versions of per-user lists (a user's friends, a user's groups). Every change to a row of a
 * user's list gets a version from that user's clock: about the time of the change in epoch
 * milliseconds, and strictly increasing per user even when clocks step back or several rows change
 * in the same millisecond.
 *
 * A transaction that changes a user's rows first locks that user's clock row, and keeps the lock
 * until it commits. Versions are therefore handed out in commit order, so a reader that returns
 * the largest version it can see as its cursor never skips a change committed after it read.
 *
 * Each service keeps its clocks in a table of its own schema, `("user_id" bigint primary key,
 * "version" bigint)`, named by its qualified name, e.g. `"friend"."sync_versions"`.
 */
export class SyncClock {
  readonly #table: string;
  readonly #last: Map<string, number>;
  readonly #changed = new Set<string>();

  private constructor(table: string, last: Map<string, number>) {
    this.#table = table;
    this.#last = last;
  }

  /**
   * Locks the clocks of these users in `table` (in id order, so that two transactions never
   * deadlock).
   */
  static async lock(tx: EntityManager, table: string, userIds: string[]): Promise<SyncClock> {
    const sorted = [...new Set(userIds)].sort((a, b) =>
      BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0,
    );
    if (sorted.length === 0) return new SyncClock(table, new Map());
    const rows = await tx.execute<Array<{ user_id: string; version: string }>>(
      `insert into ${table} as s ("user_id", "version")
       select "id"::bigint, 0 from jsonb_array_elements_text(?::jsonb) with ordinality as t("id", "n")
       order by "n"
       on conflict ("user_id") do update set "version" = s."version"
       returning "user_id", "version"`,
      [JSON.stringify(sorted)],
    );
    return new SyncClock(table, new Map(rows.map((row) => [String(row.user_id), Number(row.version)])));
  }

  /** The first of `count` consecutive versions for rows of `userId`'s list. */
  next(userId: string, count = 1): number {
    const last = this.#last.get(userId);
    if (last === undefined) throw new Error(`sync clock of user ${userId} is not locked`);
    const first = Math.max(Date.now(), last + 1);
    this.#last.set(userId, first + count - 1);
    this.#changed.add(userId);
    return first;
  }

  /** Stores the clocks that moved; called before commit. */
  async save(tx: EntityManager): Promise<void> {
    if (this.#changed.size === 0) return;
    const values = [...this.#changed].map((userId) => ({ user_id: userId, version: this.#last.get(userId) }));
    await tx.execute(
      `update ${this.#table} as s set "version" = v."version"
       from jsonb_to_recordset(?::jsonb) as v("user_id" bigint, "version" bigint)
       where s."user_id" = v."user_id"`,
      [JSON.stringify(values)],
    );
    this.#changed.clear();
  }
}

/** The head of a list read: the largest version the read could see, and how many rows it counted. */
export interface SyncHead {
  cursor: string | null;
  total: string;
}

export interface SyncPage<R> {
  rows: R[];
  total: number;
  /** Cursor for the next incremental read. */
  updateTime: number;
  hasMore: boolean;
}

/**
 * One page of a list read in one statement (one snapshot) with its head. Incremental reads
 * (`incremental`: rows with a version above the caller's cursor, in version order, `pageSize + 1`
 * of them) continue from the last row shown while more remain; otherwise, and for full listings
 * (page `page` of `pageSize`), the cursor is the head's: nothing committed later can be skipped
 * (see SyncClock).
 */
export function syncPage<R extends { row_version: string }>(
  head: SyncHead,
  found: R[],
  options: { incremental: boolean; page: number; pageSize: number },
): SyncPage<R> {
  const hasMore = options.incremental
    ? found.length > options.pageSize
    : options.page * options.pageSize < Number(head.total);
  const rows = found.slice(0, options.pageSize);
  const updateTime =
    options.incremental && hasMore
      ? Number(rows.at(-1)!.row_version)
      : head.cursor === null
        ? 0
        : Number(head.cursor);
  return { rows, total: Number(head.total), updateTime, hasMore };
}
