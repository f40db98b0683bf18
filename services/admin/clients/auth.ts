import {
  type AccountSummary,
  AuthAdminService,
  AuthService,
} from '../../platform/contracts/gen/anychat/auth/v1/auth_pb.ts';
import {
  type AccountState,
  type AccountStatusCodes,
  accountStateOf,
  nullsForUnset,
  type ProfileSummary,
  profilesOf,
} from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

type SettableStatus = (typeof AccountStatusCodes)['DISABLED' | 'ACTIVE' | 'FROZEN'];

const summaryOf = (summary: AccountSummary) => ({
  ...nullsForUnset(summary, ['phoneNumber', 'email', 'lastLoginAt']),
  state: accountStateOf(summary.state),
});

/** Accounts as the admin service moderates them: the auth service owns them, the user service their profiles. */
export class AccountsClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** A page of accounts, newest first. */
  async list(query: {
    keyword?: string | undefined;
    state?: AccountState | undefined;
    offset: number;
    limit: number;
  }) {
    const page = await this.#invoke.call(AuthAdminService.method.listAccounts, query);
    return { total: page.total, items: page.items.map(summaryOf) };
  }

  /** One account with its signed-in devices (10102 when unknown). */
  async detail(userId: string) {
    const { account, devices } = await this.#invoke.call(AuthAdminService.method.getAccount, { userId });
    if (!account) throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, { detail: 'the account was left out' });
    return {
      ...summaryOf(account),
      devices: devices.map((device) => nullsForUnset(device, ['ip'])),
    };
  }

  async setStatus(userId: string, status: SettableStatus): Promise<void> {
    await this.#invoke.call(AuthService.method.setAccountStatus, { userId, status });
  }

  /** Signs every device out; answers how many were signed in. */
  async kick(userId: string): Promise<{ devices: number }> {
    const { devices } = await this.#invoke.call(AuthAdminService.method.kickAccount, { userId });
    return { devices };
  }

  async delete(userId: string): Promise<void> {
    await this.#invoke.call(AuthAdminService.method.deleteAccount, { userId });
  }

  /** Ids of active accounts after `afterUserId`, ascending. */
  async activeIds(afterUserId: string, limit: number): Promise<string[]> {
    return (await this.#invoke.call(AuthAdminService.method.listActiveAccountIds, { afterUserId, limit }))
      .userIds;
  }

  async stats(windows: { newSince: Date; activeSince: Date }) {
    const { total, newSince, activeSince } = await this.#invoke.call(
      AuthAdminService.method.getAccountStats,
      {
        newSince: windows.newSince.toISOString(),
        activeSince: windows.activeSince.toISOString(),
      },
    );
    return { total, newSince, activeSince };
  }

  /** Brief profiles (nicknames) of these users, from the user service. */
  profiles(userIds: Iterable<string>): Promise<Map<string, ProfileSummary>> {
    return profilesOf(this.#invoke, userIds);
  }
}
