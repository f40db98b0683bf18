import type { MikroORM } from '@mikro-orm/postgresql';
import type {
  AccountDetail,
  AccountListRequest,
  AccountPage,
  AccountState,
  AccountStats,
  AccountSummary,
} from '../../platform/contracts/index.ts';
import { containingPattern, countedPage } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { AccountStatus, type AccountStatusValue } from '../entities.ts';

/** Account states as the admin API names them. */
export const STATE_OF_STATUS: Record<AccountStatusValue, AccountState> = {
  [AccountStatus.ACTIVE]: 'active',
  [AccountStatus.DISABLED]: 'banned',
  [AccountStatus.FROZEN]: 'frozen',
  [AccountStatus.DELETED]: 'deleted',
};
const STATUS_OF_STATE: Record<AccountState, AccountStatusValue> = {
  active: AccountStatus.ACTIVE,
  banned: AccountStatus.DISABLED,
  frozen: AccountStatus.FROZEN,
  deleted: AccountStatus.DELETED,
};

interface AccountRow {
  user_id: string;
  account: string;
  phone_number: string | null;
  email: string | null;
  status: number;
  created_at: Date | string;
  last_login_at: Date | string | null;
}

/** When a session was last used to sign in or refresh: what "last login" and "active" mean here. */
const SESSION_SEEN = 'greatest(s."created_at", coalesce(s."last_refreshed_at", s."created_at"))';
const SUMMARY_COLUMNS = `u."user_id"::text as "user_id", u."account", u."phone_number", u."email", u."status", u."created_at",
  (select max(${SESSION_SEEN}) from "auth"."user_sessions" s where s."user_id" = u."user_id") as "last_login_at"`;
/** `like` pattern matching `text` literally. */
const iso = (value: Date | string) => new Date(value).toISOString();

const summaryOf = (row: AccountRow): AccountSummary => ({
  userId: row.user_id,
  account: row.account,
  phoneNumber: row.phone_number,
  email: row.email,
  state: STATE_OF_STATUS[row.status as AccountStatusValue] ?? 'banned',
  createdAt: iso(row.created_at),
  lastLoginAt: row.last_login_at ? iso(row.last_login_at) : null,
});

/** What the admin service reads of accounts: pages, one account with its devices, ids, counts. */
export class AccountQueries {
  readonly #orm: MikroORM;

  constructor(orm: MikroORM) {
    this.#orm = orm;
  }

  /** Accounts newest first, filtered by a keyword (account, phone, e-mail; substring) and a state. */
  async list(request: AccountListRequest): Promise<AccountPage> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (request.keyword?.trim()) {
      const pattern = containingPattern(request.keyword.trim());
      conditions.push(
        `(u."account" ilike ? escape '\\' or u."phone_number" ilike ? escape '\\' or u."email" ilike ? escape '\\')`,
      );
      params.push(pattern, pattern, pattern);
    }
    if (request.state) {
      conditions.push('u."status" = ?');
      params.push(STATUS_OF_STATE[request.state]);
    }
    const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
    const { total, rows } = await countedPage<AccountRow>(this.#orm.em.fork(), {
      select: SUMMARY_COLUMNS,
      from: `from "auth"."users" u ${where}`,
      orderBy: 'u."created_at" desc, u."user_id" desc',
      params,
      limit: request.limit,
      offset: request.offset,
    });
    return { total, items: rows.map(summaryOf) };
  }

  /** One account (deleted ones included) with the devices signed in now; 10102 when unknown. */
  async detail(userId: string): Promise<AccountDetail> {
    const em = this.#orm.em.fork();
    const [rows, devices] = await Promise.all([
      em.execute<AccountRow[]>(`select ${SUMMARY_COLUMNS} from "auth"."users" u where u."user_id" = ?`, [
        userId,
      ]),
      em.execute<
        Array<{ device_id: string; device_type: string; last_active_at: Date | string; ip: string | null }>
      >(
        `select s."device_id", s."device_type", ${SESSION_SEEN} as "last_active_at", d."last_login_ip" as "ip"
           from "auth"."user_sessions" s
           left join "auth"."user_devices" d on d."user_id" = s."user_id" and d."device_id" = s."device_id"
          where s."user_id" = ? and s."revoked_at" is null
          order by "last_active_at" desc`,
        [userId],
      ),
    ]);
    const row = rows[0];
    if (!row) throw new AppError(ErrorCode.USER_NOT_FOUND);
    return {
      ...summaryOf(row),
      devices: devices.map((device) => ({
        deviceId: device.device_id,
        deviceType: device.device_type,
        lastActiveAt: iso(device.last_active_at),
        ip: device.ip,
      })),
    };
  }

  /** Ids of active accounts after `afterUserId`, ascending by numeric id (broadcast fan-out). */
  async activeIds(afterUserId: string, limit: number): Promise<string[]> {
    // Ordered by the bigint column, not by the text it is shown as ('9…' sorts after '1…' as text).
    const rows = await this.#orm.em.fork().execute<Array<{ id: string }>>(
      `select u."user_id"::text as "id" from "auth"."users" u
          where u."status" = ? and u."user_id" > ? order by u."user_id" limit ?`,
      [AccountStatus.ACTIVE, afterUserId, limit],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Counts over accounts that are not deleted: all of them, those registered since `newSince`, and
   * those active since `activeSince`, i.e. with a session created (login) or refreshed at or after
   * it (the sessions table is the only record of activity auth keeps; a device that stays connected
   * on a valid access token without refreshing does not count until it refreshes).
   */
  async stats(windows: { newSince: Date; activeSince: Date }): Promise<AccountStats> {
    const [row] = await this.#orm.em
      .fork()
      .execute<Array<{ total: string | number; new_since: string | number; active_since: string | number }>>(
        `select
         (select count(*) from "auth"."users" where "status" <> ?) as "total",
         (select count(*) from "auth"."users" where "status" <> ? and "created_at" >= ?) as "new_since",
         (select count(distinct s."user_id") from "auth"."user_sessions" s
            join "auth"."users" u on u."user_id" = s."user_id"
           where u."status" <> ? and (s."created_at" >= ? or s."last_refreshed_at" >= ?)) as "active_since"`,
        [
          AccountStatus.DELETED,
          AccountStatus.DELETED,
          windows.newSince,
          AccountStatus.DELETED,
          windows.activeSince,
          windows.activeSince,
        ],
      );
    return {
      total: Number(row?.total ?? 0),
      newSince: Number(row?.new_since ?? 0),
      activeSince: Number(row?.active_since ?? 0),
    };
  }
}
