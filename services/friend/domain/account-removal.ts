import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { Friendships } from './friendships.ts';

/** The device a deleted account's removals are made from (no device of theirs is left). */
const REMOVAL_DEVICE = 'account-deletion';

/**
 * A deleted account leaves every friend list it was in: each friendship ends on both sides as when
 * the user deletes a friend (the friends' lists sync the removal), its pending requests, sent and
 * received, expire (accepting one answers 30105: nobody may befriend a deleted account), and its own
 * blacklist goes. Safe to repeat: a friendship already ended is skipped.
 */
export class AccountRemoval {
  readonly #sql: SqlExecutor;
  readonly #friendships: Friendships;

  constructor(sql: SqlExecutor, friendships: Friendships) {
    this.#sql = sql;
    this.#friendships = friendships;
  }

  async removeAll(userId: string): Promise<number> {
    const friends = await this.#sql.query<{ friend_id: string }>(
      `select "friend_id"::text as "friend_id" from "friend"."friendships" where "user_id" = ? and "status" = 1`,
      [userId],
    );
    for (const { friend_id: friendId } of friends) {
      try {
        await this.#friendships.delete({ userId, deviceId: REMOVAL_DEVICE }, friendId);
      } catch (error) {
        if (!(error instanceof AppError && error.code === ErrorCode.FRIEND_NOT_FOUND)) throw error;
      }
    }
    await this.#sql.query(
      `update "friend"."friend_requests" set "status" = 'expired', "handled_at" = now(), "updated_at" = now()
        where ("from_user_id" = ? or "to_user_id" = ?) and "status" = 'pending'`,
      [userId, userId],
    );
    await this.#sql.query(`delete from "friend"."blacklists" where "user_id" = ?`, [userId]);
    return friends.length;
  }
}
