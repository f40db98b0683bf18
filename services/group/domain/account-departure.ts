import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { Groups } from './groups.ts';
import type { Members } from './members.ts';
import type { Ownership } from './ownership.ts';
import type { Origin } from './types.ts';

/** The device a deleted account's departures are made from (no device of theirs is left). */
const DEPARTURE_DEVICE = 'account-deletion';
/** What a group that changed or went meanwhile answers: nothing is left to do there. */
const SETTLED = new Set<number>([
  ErrorCode.GROUP_NOT_MEMBER,
  ErrorCode.GROUP_NOT_FOUND,
  ErrorCode.GROUP_DISMISSED,
]);

/**
 * A deleted account leaves every group it was in, as members see a member leave. A group it owned
 * goes first to its longest-standing admin, or else its longest-standing member; one it was alone
 * in is dismissed. Each step is its own change, so a retried event finishes what a failed one began.
 */
export class AccountDepartures {
  readonly #sql: SqlExecutor;
  readonly #groups: Groups;
  readonly #members: Members;
  readonly #ownership: Ownership;

  constructor(deps: { sql: SqlExecutor; groups: Groups; members: Members; ownership: Ownership }) {
    this.#sql = deps.sql;
    this.#groups = deps.groups;
    this.#members = deps.members;
    this.#ownership = deps.ownership;
  }

  async leaveAll(userId: string): Promise<number> {
    const memberships = await this.#sql.query<{ group_id: string; role: string }>(
      `select m."group_id"::text as "group_id", m."role" from "group"."group_members" m
        where m."user_id" = ? and m."status" = 1 order by m."joined_at"`,
      [userId],
    );
    const origin: Origin = { userId, deviceId: DEPARTURE_DEVICE };
    for (const { group_id: groupId, role } of memberships) {
      try {
        if (role === 'owner') await this.#handOn(origin, groupId);
        else await this.#members.exit(origin, groupId);
      } catch (error) {
        if (!(error instanceof AppError && SETTLED.has(error.code))) throw error;
      }
    }
    return memberships.length;
  }

  async #handOn(origin: Origin, groupId: string): Promise<void> {
    const [successor] = await this.#sql.query<{ user_id: string }>(
      `select m."user_id"::text as "user_id" from "group"."group_members" m
        where m."group_id" = ? and m."status" = 1 and m."user_id" <> ?
        order by (m."role" = 'admin') desc, m."joined_at", m."user_id" limit 1`,
      [groupId, origin.userId],
    );
    if (!successor) {
      await this.#groups.dismiss(origin, groupId);
      return;
    }
    await this.#ownership.transfer(origin, groupId, successor.user_id);
    await this.#members.exit(origin, groupId);
  }
}
