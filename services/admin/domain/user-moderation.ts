import {
  type AccountState,
  AccountStatusCodes,
  type AccountSummary,
} from '../../platform/contracts/index.ts';
import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { PresenceRegistry } from '../../platform/presence/index.ts';
import type { AccountsClient } from '../clients/auth.ts';
import { type Actor, type AuditLog, SYSTEM_ACTOR } from './audit-log.ts';
import { isoOf, isoOrNull } from './timestamps.ts';

export interface Ban {
  reason: string;
  until: string | null;
  bannedBy: string;
  bannedAt: string;
}

export interface UserListItem extends AccountSummary {
  nickname: string | null;
  ban: Ban | null;
}

export interface UserDetail extends UserListItem {
  devices: Awaited<ReturnType<AccountsClient['detail']>>['devices'];
  online: boolean;
}

interface BanRow {
  user_id: string;
  reason: string;
  until: string | null;
  banned_by: string;
  banned_at: string;
}

const banOf = (row: BanRow): Ban => ({
  reason: row.reason,
  until: isoOrNull(row.until),
  bannedBy: row.banned_by,
  bannedAt: isoOf(row.banned_at),
});

/**
 * Bans, unbans, sign-outs and deletions of chat users. The auth service owns accounts and
 * sessions (a ban is its `disabled` status: sessions end, FORCE_LOGOUT `account_banned`, login
 * refused with 10111); this service keeps why and until when, and lifts timed bans itself.
 */
export class UserModeration {
  readonly #sql: SqlExecutor;
  readonly #accounts: AccountsClient;
  readonly #audit: AuditLog;
  readonly #presence: PresenceRegistry;
  readonly #logger: Logger;

  constructor(deps: {
    sql: SqlExecutor;
    accounts: AccountsClient;
    audit: AuditLog;
    presence: PresenceRegistry;
    logger: Logger;
  }) {
    this.#sql = deps.sql;
    this.#accounts = deps.accounts;
    this.#audit = deps.audit;
    this.#presence = deps.presence;
    this.#logger = deps.logger;
  }

  async list(query: {
    keyword?: string | undefined;
    state?: AccountState | undefined;
    offset: number;
    limit: number;
  }) {
    const page = await this.#accounts.list(query);
    return { total: page.total, items: await this.#decorate(page.items) };
  }

  async detail(userId: string): Promise<UserDetail> {
    const account = await this.#accounts.detail(userId);
    const [[item], presence] = await Promise.all([
      this.#decorate([account]),
      this.#presence.lookup([userId]),
    ]);
    return { ...item!, devices: account.devices, online: presence.get(userId)?.online ?? false };
  }

  /** Bans at once (sessions end, devices get FORCE_LOGOUT); a duration makes the ban lift itself. */
  async ban(actor: Actor, userId: string, reason: string, durationSeconds: number | undefined): Promise<Ban> {
    const until = durationSeconds ? new Date(Date.now() + durationSeconds * 1000) : null;
    await this.#accounts.setStatus(userId, AccountStatusCodes.DISABLED);
    const [row] = await this.#sql.query<BanRow>(
      `insert into "admin"."user_bans" (user_id, reason, until, banned_by, banned_at) values (?, ?, ?, ?, now())
       on conflict (user_id) do update set reason = excluded.reason, until = excluded.until,
         banned_by = excluded.banned_by, banned_at = excluded.banned_at
       returning user_id::text, reason, until, banned_by::text, banned_at`,
      [userId, reason, until, actor.id],
    );
    await this.#audit.record(actor, {
      action: 'user.ban',
      resourceType: 'user',
      resourceId: userId,
      details: { reason, until: until?.toISOString() ?? null },
    });
    return banOf(row!);
  }

  async unban(actor: Actor, userId: string, why = 'unbanned by an administrator'): Promise<void> {
    await this.#accounts.setStatus(userId, AccountStatusCodes.ACTIVE);
    await this.#sql.query('delete from "admin"."user_bans" where user_id = ?', [userId]);
    await this.#audit.record(actor, {
      action: 'user.unban',
      resourceType: 'user',
      resourceId: userId,
      details: { reason: why },
    });
  }

  async kick(actor: Actor, userId: string): Promise<{ devices: number }> {
    const result = await this.#accounts.kick(userId);
    await this.#audit.record(actor, {
      action: 'user.kick',
      resourceType: 'user',
      resourceId: userId,
      details: { devices: result.devices },
    });
    return result;
  }

  async delete(actor: Actor, userId: string): Promise<void> {
    await this.#accounts.delete(userId);
    await this.#sql.query('delete from "admin"."user_bans" where user_id = ?', [userId]);
    await this.#audit.record(actor, { action: 'user.delete', resourceType: 'user', resourceId: userId });
  }

  /**
   * Lifts bans whose time is up. A ban is claimed by deleting its row while it still has the
   * `until` that ran out (a ban renewed meanwhile is not touched, and of several admin replicas
   * one claims it), then the account is made active; if that fails the row is put back for the
   * next sweep.
   */
  async liftExpiredBans(): Promise<number> {
    const due = await this.#sql.query<BanRow>(
      `select user_id::text, reason, until, banned_by::text, banned_at from "admin"."user_bans"
       where until is not null and until <= now() order by until limit 100`,
    );
    let lifted = 0;
    for (const ban of due) {
      const claimed = await this.#sql.query(
        'delete from "admin"."user_bans" where user_id = ? and until = ? returning user_id',
        [ban.user_id, ban.until],
      );
      if (claimed.length === 0) continue;
      try {
        await this.#activate(ban.user_id);
      } catch (error) {
        await this.#sql.query(
          `insert into "admin"."user_bans" (user_id, reason, until, banned_by, banned_at) values (?, ?, ?, ?, ?)
           on conflict (user_id) do nothing`,
          [ban.user_id, ban.reason, ban.until, ban.banned_by, ban.banned_at],
        );
        this.#logger.warn({ err: error, userId: ban.user_id }, 'could not lift an expired ban; will retry');
        continue;
      }
      // Banned again while this was lifting it: the new ban wins.
      const renewed = await this.#sql.query('select 1 from "admin"."user_bans" where user_id = ?', [
        ban.user_id,
      ]);
      if (renewed.length > 0) {
        await this.#accounts.setStatus(ban.user_id, AccountStatusCodes.DISABLED);
        continue;
      }
      lifted++;
      await this.#audit.record(SYSTEM_ACTOR, {
        action: 'user.unban',
        resourceType: 'user',
        resourceId: ban.user_id,
        details: { reason: 'ban expired', bannedUntil: isoOrNull(ban.until) },
      });
    }
    return lifted;
  }

  async #activate(userId: string): Promise<void> {
    try {
      await this.#accounts.setStatus(userId, AccountStatusCodes.ACTIVE);
    } catch (error) {
      // An account deleted meanwhile has no ban left to lift.
      if (!(error instanceof AppError && error.code === ErrorCode.USER_NOT_FOUND)) throw error;
    }
  }

  async #decorate(accounts: AccountSummary[]): Promise<UserListItem[]> {
    const userIds = accounts.map((account) => account.userId);
    if (userIds.length === 0) return [];
    const [profiles, bans] = await Promise.all([
      this.#accounts.profiles(userIds),
      this.#sql.query<BanRow>(
        `select user_id::text, reason, until, banned_by::text, banned_at from "admin"."user_bans"
         where user_id in (select x::bigint from jsonb_array_elements_text(?::jsonb) x)`,
        [JSON.stringify(userIds)],
      ),
    ]);
    const banOfUser = new Map(bans.map((row) => [row.user_id, banOf(row)]));
    return accounts.map((account) => ({
      ...account,
      nickname: profiles.get(account.userId)?.nickname ?? null,
      ban: banOfUser.get(account.userId) ?? null,
    }));
  }
}
