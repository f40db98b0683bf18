import { timestampNow } from '@bufbuild/protobuf/wkt';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AdminTopics } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { EventPublisher } from '../../platform/events/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { UserClient } from '../clients/users.ts';
import { AccountStatus, type UserCredentials } from '../entities.ts';
import type { AccountDeletions } from './account-deletion.ts';
import type { DeviceTokens } from './device-tokens.ts';
import type { LoginAlerts } from './login-alerts.ts';
import type { DeviceInfo, Sessions, TokenPair } from './sessions.ts';
import type { TwoFactor } from './two-factor.ts';

export interface AccountSummary {
  userId: string;
  account: string;
  phone: string | null;
  email: string | null;
}

/** What a signed-in device gets: its tokens, and the proof that it signed in here (see DeviceTokens). */
export type SignedIn = AccountSummary &
  TokenPair & {
    deviceToken: string;
    /** The profile's name and picture (the user service's); the account name and none when it cannot say. */
    nickname: string;
    avatar: string | null;
    /** This sign-in cancelled the deletion the user had asked for (their grace period was running). */
    deletionCancelled?: boolean;
  };

export const summary = (user: UserCredentials): AccountSummary => ({
  userId: user.userId,
  account: user.account,
  phone: user.phoneNumber ?? null,
  email: user.email ?? null,
});

/** The request a sign-in came with. */
export interface SignInRequest {
  device: DeviceInfo;
  userAgent?: string | undefined;
  /** The authenticator or recovery code, for accounts with two-factor sign-in on. */
  secondFactor?: string | undefined;
  /** The device proved (device token) that it signed in to this account before: no second factor asked. */
  knownDevice?: boolean;
}

export function assertCanSignIn(status: number): void {
  if (status === AccountStatus.DISABLED) throw new AppError(ErrorCode.ACCOUNT_DISABLED);
  if (status === AccountStatus.FROZEN) throw new AppError(ErrorCode.ACCOUNT_FROZEN);
}

/**
 * The last part of every sign-in, whatever proved the account: the account's status, the second
 * factor (when on, for a device that has not signed in before), then the device's session (and an
 * alert to the account's other devices when the device or its network is new) under the multi-device policy, its device token and the audit record. Password,
 * code and identity-provider logins all end here, so they share devices and policy.
 */
export class SignIns {
  readonly #sessions: Sessions;
  readonly #deviceTokens: DeviceTokens;
  readonly #events: EventPublisher;
  readonly #logger: Logger;
  readonly #twoFactor: TwoFactor;
  readonly #alerts: LoginAlerts;
  readonly #users: UserClient;
  readonly #deletions: AccountDeletions;

  constructor(deps: {
    deletions: AccountDeletions;
    sessions: Sessions;
    deviceTokens: DeviceTokens;
    twoFactor: TwoFactor;
    alerts: LoginAlerts;
    events: EventPublisher;
    logger: Logger;
    users: UserClient;
  }) {
    this.#users = deps.users;
    this.#deletions = deps.deletions;
    this.#twoFactor = deps.twoFactor;
    this.#alerts = deps.alerts;
    this.#sessions = deps.sessions;
    this.#deviceTokens = deps.deviceTokens;
    this.#events = deps.events;
    this.#logger = deps.logger;
  }

  async complete(user: UserCredentials, request: SignInRequest, em?: EntityManager): Promise<SignedIn> {
    const { device } = request;
    try {
      assertCanSignIn(user.status);
    } catch (error) {
      this.record(
        request,
        user,
        user.status === AccountStatus.FROZEN ? 'account_frozen' : 'account_disabled',
      );
      throw error;
    }
    if (!request.knownDevice && (await this.#twoFactor.enabled(user.userId))) {
      try {
        await this.#twoFactor.verify(user.userId, request.secondFactor);
      } catch (error) {
        const asked = error instanceof AppError && error.code === ErrorCode.SECOND_FACTOR_REQUIRED;
        this.record(request, user, asked ? 'second_factor_required' : 'second_factor_wrong');
        throw error;
      }
    }
    // Signing in during the grace period of a deletion the user asked for is changing their mind.
    const deletionCancelled = await this.#deletions.cancelOnSignIn(user);
    const unusual = await this.#alerts.isUnusual(user.userId, device);
    const tokens = await this.#sessions.open(user.userId, device, em);
    this.record(request, user);
    if (unusual) this.#alerts.alert(user, device);
    return {
      ...summary(user),
      ...tokens,
      deviceToken: await this.#deviceTokens.issue(user.userId, device.deviceId),
      ...(await this.#profile(user)),
      ...(deletionCancelled ? { deletionCancelled } : {}),
    };
  }

  /** A sign-in does not fail for want of a profile: the account name stands in for it. */
  async #profile(user: UserCredentials): Promise<{ nickname: string; avatar: string | null }> {
    try {
      return (await this.#users.brief(user.userId)) ?? { nickname: user.account, avatar: null };
    } catch (error) {
      this.#logger.warn({ err: error, userId: user.userId }, 'profile for the sign-in answer not read');
      return { nickname: user.account, avatar: null };
    }
  }

  /** Audit record of a sign-in attempt: never awaited, never failing the sign-in, never holding a secret. */
  record(
    request: SignInRequest,
    user: { userId: string; account: string } | null,
    failure?: string,
    accountNamed?: string,
  ): void {
    const { device, userAgent } = request;
    const userId = user?.userId;
    void this.#events
      .publish(AdminTopics.loginRecorded, {
        ...(userId !== undefined ? { userId } : {}),
        account: user?.account ?? accountNamed ?? '',
        success: failure === undefined,
        ...(failure !== undefined ? { failure } : {}),
        deviceId: device.deviceId,
        deviceType: device.deviceType,
        ip: device.ip ?? 'unknown',
        ...(userAgent ? { userAgent } : {}),
        at: timestampNow(),
      })
      .catch((error: unknown) => this.#logger.warn({ err: error, userId }, 'could not publish login record'));
  }
}
