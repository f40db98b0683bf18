import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Sync versions of group lists. Every change to a row of a user's list gets a version from that
 * user's clock: about the time of the change in epoch milliseconds, and strictly increasing per user
 * even when clocks step back or several rows change in the same millisecond.
 *
 * A transaction that changes a user's rows first locks that user's clock row, and keeps the lock
 * until it commits. Versions are therefore handed out in commit order, so a reader that returns
 * the largest version it can see as its cursor never skips a change committed after it read.
 */
export class SyncClock {
  readonly #last: Map<string, number>;
  readonly #changed = new Set<string>();

  private constructor(last: Map<string, number>) {
    this.#last = last;
  }

  /** Locks the clocks of these users (in id order, so that two transactions never deadlock). */
  static async lock(tx: EntityManager, userIds: string[]): Promise<SyncClock> {
    const sorted = [...new Set(userIds)].sort((a, b) =>
      BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0,
    );
    if (sorted.length === 0) return new SyncClock(new Map());
    const rows = await tx.execute<Array<{ user_id: string; version: string }>>(
      `insert into "group"."sync_versions" ("user_id", "version")
       select "id"::bigint, 0 from jsonb_array_elements_text(?::jsonb) with ordinality as t("id", "n")
       order by "n"
       on conflict ("user_id") do update set "version" = "sync_versions"."version"
       returning "user_id", "version"`,
      [JSON.stringify(sorted)],
    );
    return new SyncClock(new Map(rows.map((row) => [String(row.user_id), Number(row.version)])));
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
      `update "group"."sync_versions" as s set "version" = v."version"
       from jsonb_to_recordset(?::jsonb) as v("user_id" bigint, "version" bigint)
       where s."user_id" = v."user_id"`,
      [JSON.stringify(values)],
    );
    this.#changed.clear();
  }
}
