import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { AuthTopics } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode, type Language } from '../../platform/errors.ts';
import type { EventPublisher } from '../../platform/events/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Principal, SignInThrottle, SignInTicket } from '../../platform/security/index.ts';
import { AccountStatus, type AccountStatusValue, UserCredentials, UserDevice } from '../entities.ts';
import {
  assertStrongPassword,
  normalizeAccount,
  normalizeEmail,
  normalizePhone,
} from './credentials-rules.ts';
import type { DeviceTokens } from './device-tokens.ts';
import type { NewAccounts } from './new-accounts.ts';
import { decoyPasswordHash, hashPassword, verifyPassword } from './passwords.ts';
import type { DeviceInfo, Sessions, TokenPair } from './sessions.ts';
import { type SignedIn, type SignInRequest, type SignIns, summary } from './sign-in.ts';
import type { CodeChannel, CodePurpose, VerificationCodes } from './verification-codes.ts';

/** App-id of the user service, which keeps profiles. */

export interface RegisterInput {
  account: string;
  password: string;
  phoneNumber?: string | undefined;
  email?: string | undefined;
  verifyCode?: string | undefined;
  nickname?: string | undefined;
}

export type { SignedIn } from './sign-in.ts';

/** The login throttle's name for an account: its id, or a hash of the name tried when there is none. */
const throttleSubject = (user: UserCredentials | null, identifier: string) =>
  user ? `user:${user.userId}` : `name:${createHash('sha256').update(identifier).digest('base64url')}`;

export interface AuthServiceDeps {
  orm: MikroORM;
  sessions: Sessions;
  signIns: SignIns;
  accounts: NewAccounts;
  codes: VerificationCodes;
  throttle: SignInThrottle;
  deviceTokens: DeviceTokens;
  events: EventPublisher;
  logger: Logger;
}

export class AuthService {
  private readonly deps: AuthServiceDeps;

  constructor(deps: AuthServiceDeps) {
    this.deps = deps;
  }

  /** Where a code goes for a phone or an e-mail target. */
  async sendCode(
    target: { phoneNumber?: string | undefined; email?: string | undefined },
    purpose: CodePurpose,
    language: Language,
  ) {
    const { channel, value } = this.#target(target);
    let deliver = true;
    // Reset and login codes go only to accounts that exist; the answer is the same either way.
    if (purpose !== 'register') {
      const user = await this.#findByContact(channel, value);
      deliver = user !== null && user.status !== AccountStatus.DELETED;
    }
    if (purpose === 'register' && (await this.#findByContact(channel, value))) {
      throw new AppError(ErrorCode.USER_EXISTS, {
        detail: `${channel === 'sms' ? 'phone number' : 'email'} already registered`,
      });
    }
    await this.deps.codes.issue(channel, value, purpose, { language, deliver });
  }

  async register(input: RegisterInput, device: DeviceInfo): Promise<SignedIn> {
    const account = normalizeAccount(input.account);
    const phoneNumber = input.phoneNumber ? normalizePhone(input.phoneNumber) : null;
    const email = input.email ? normalizeEmail(input.email) : null;
    assertStrongPassword(input.password);
    if ((phoneNumber || email) && this.deps.codes.supports(phoneNumber ? 'sms' : 'email')) {
      if (!input.verifyCode)
        throw new AppError(ErrorCode.INVALID_PARAMS, {
          detail: 'body.verifyCode: required for phone or email registration',
        });
      await this.deps.codes.consume((phoneNumber ?? email)!, 'register', input.verifyCode);
    }
    const user = await this.deps.accounts.create({
      account,
      phoneNumber,
      email,
      nickname: input.nickname ?? null,
      passwordHash: await hashPassword(input.password),
    });
    const tokens = await this.deps.sessions.open(user.userId, device);
    const deviceToken = await this.deps.deviceTokens.issue(user.userId, device.deviceId);
    // A new account's profile was just made with this name and no picture.
    return { ...summary(user), ...tokens, deviceToken, nickname: input.nickname ?? account, avatar: null };
  }

  /**
   * Signs a device in. Every attempt that reaches the credential check is recorded for the audit
   * log (`auth.login.recorded`, best-effort): success, wrong password, blocked account, throttled,
   * unknown account. A deleted account answers as an unknown one to a wrong password, and 10117
   * to the right one (its owner is told the account is gone, a prober learns nothing). The attempt is counted by
   * the throttle before the password is checked; `deviceToken` (from an earlier sign-in of this
   * device) lets the owner through a lock that strangers' failures put on the account.
   */
  async login(
    identifier: string,
    password: string,
    device: DeviceInfo,
    options: {
      userAgent?: string | undefined;
      deviceToken?: string | undefined;
      secondFactor?: string | undefined;
    } = {},
  ): Promise<SignedIn> {
    const key = identifier.trim().toLowerCase();
    const em = this.deps.orm.em.fork();
    const user = await em.findOne(UserCredentials, {
      $or: [{ account: key }, { email: key }, { phoneNumber: identifier.replace(/[\s-]/g, '') }],
    });
    const knownDevice =
      user && (await this.deps.deviceTokens.proves(options.deviceToken, user.userId, device.deviceId))
        ? device.deviceId
        : undefined;
    const request: SignInRequest = {
      device,
      userAgent: options.userAgent,
      secondFactor: options.secondFactor,
      knownDevice: knownDevice !== undefined,
    };
    const record = (found: UserCredentials | null, failure: string) =>
      this.deps.signIns.record(request, found, failure, identifier.trim());
    let ticket: SignInTicket;
    try {
      ticket = await this.deps.throttle.begin({
        account: throttleSubject(user, key),
        address: device.ip ?? 'unknown',
        knownDevice,
      });
    } catch (error) {
      record(user, 'locked');
      throw error;
    }
    // Unknown accounts cost a hash verification too and fail with the same code: accounts can't be probed.
    const ok = await verifyPassword(user?.passwordHash ?? (await decoyPasswordHash()), password);
    if (!user || !ok) {
      // The failure stays counted: the throttle counted the attempt before the check.
      record(user, !user ? 'unknown_account' : 'wrong_password');
      throw new AppError(ErrorCode.WRONG_PASSWORD);
    }
    if (user.status === AccountStatus.DELETED) {
      // Only who knows the password learns that the account was deleted (10117), never a prober.
      record(user, 'account_deleted');
      throw new AppError(ErrorCode.ACCOUNT_ABNORMAL);
    }
    // The right password is not a guess, whatever the account's status: the attempt stops counting.
    await ticket.succeeded();
    return this.deps.signIns.complete(user, request, em);
  }

  /**
   * Signs a device in with a code sent to the account's phone or e-mail (seed §4.1), no password:
   * the code's own guess limit is the throttle. Same devices and policy as a password login.
   */
  async loginWithCode(
    target: { phoneNumber?: string | undefined; email?: string | undefined },
    verifyCode: string,
    request: SignInRequest & { deviceToken?: string | undefined },
  ): Promise<SignedIn> {
    const { channel, value } = this.#target(target);
    if (!this.deps.codes.supports(channel)) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
        detail: 'code login is disabled: no verification code sender is configured',
      });
    }
    try {
      await this.deps.codes.consume(value, 'login', verifyCode);
    } catch (error) {
      this.deps.signIns.record(request, null, 'wrong_code', value);
      throw error;
    }
    const em = this.deps.orm.em.fork();
    const user = await this.#findByContact(channel, value, em);
    // Login codes are only sent to existing accounts; one deleted since then signs in nowhere.
    if (!user || user.status === AccountStatus.DELETED) throw new AppError(ErrorCode.VERIFY_CODE_WRONG);
    const knownDevice = await this.deps.deviceTokens.proves(
      request.deviceToken,
      user.userId,
      request.device.deviceId,
    );
    return this.deps.signIns.complete(user, { ...request, knownDevice }, em);
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const tokens = await this.deps.sessions.refresh(refreshToken);
    return tokens;
  }

  async logout(principal: Principal): Promise<void> {
    await this.deps.sessions.revoke({ userId: principal.userId, sessionId: principal.sessionId }, 'logout');
  }

  async changePassword(
    principal: Principal,
    oldPassword: string,
    newPassword: string,
  ): Promise<{ signedOutDevices: number }> {
    const em = this.deps.orm.em.fork();
    const user = await em.findOne(UserCredentials, { userId: principal.userId });
    if (!user) throw new AppError(ErrorCode.USER_NOT_FOUND);
    if (!(await verifyPassword(user.passwordHash, oldPassword)))
      throw new AppError(ErrorCode.WRONG_PASSWORD, { detail: 'old password is wrong' });
    assertStrongPassword(newPassword);
    user.passwordHash = await hashPassword(newPassword);
    user.passwordChangedAt = new Date();
    await em.flush();
    const signedOutDevices = await this.deps.sessions.revoke(
      { userId: user.userId, exceptSessionId: principal.sessionId },
      'password_changed',
    );
    await this.#publishPasswordChanged(user.userId);
    return { signedOutDevices };
  }

  async resetPassword(
    target: { phoneNumber?: string | undefined; email?: string | undefined },
    verifyCode: string,
    newPassword: string,
  ) {
    const { channel, value } = this.#target(target);
    if (!this.deps.codes.supports(channel)) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
        detail: 'password reset is disabled: no verification code sender is configured',
      });
    }
    assertStrongPassword(newPassword);
    await this.deps.codes.consume(value, 'reset_password', verifyCode);
    const em = this.deps.orm.em.fork();
    const user = await this.#findByContact(channel, value, em);
    if (!user) throw new AppError(ErrorCode.VERIFY_CODE_WRONG);
    user.passwordHash = await hashPassword(newPassword);
    user.passwordChangedAt = new Date();
    await em.flush();
    await this.deps.sessions.revoke({ userId: user.userId }, 'password_reset');
    await this.deps.throttle.forgetAccount(throttleSubject(user, value));
    await this.#publishPasswordChanged(user.userId);
  }

  async devices(principal: Principal) {
    const em = this.deps.orm.em.fork();
    const [devices, sessions] = await Promise.all([
      em.find(UserDevice, { userId: principal.userId }, { orderBy: { lastLoginTime: 'desc' } }),
      this.deps.sessions.activeSessions(principal.userId),
    ]);
    const signedIn = new Set(sessions.map((session) => session.deviceId));
    return devices.map((device) => ({
      deviceId: device.deviceId,
      deviceType: device.deviceType,
      deviceName: device.deviceName ?? null,
      clientVersion: device.clientVersion ?? null,
      lastLoginTime: device.lastLoginTime.toISOString(),
      lastLoginIp: device.lastLoginIp ?? null,
      signedIn: signedIn.has(device.deviceId),
      current: device.deviceId === principal.deviceId,
    }));
  }

  /** Signs one of my other devices out. */
  async kickDevice(principal: Principal, deviceId: string): Promise<void> {
    if (deviceId === principal.deviceId) {
      throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'use logout to sign out this device' });
    }
    const ended = await this.deps.sessions.revoke({ userId: principal.userId, deviceId }, 'kicked');
    if (ended === 0)
      throw new AppError(ErrorCode.NOT_FOUND, { detail: `device ${deviceId} is not signed in` });
  }

  /** Administration: disable or freeze an account (its sessions end), or reactivate it. Deleted accounts are gone (10102). */
  async setAccountStatus(userId: string, status: AccountStatusValue): Promise<void> {
    const em = this.deps.orm.em.fork();
    const user = await em.findOne(UserCredentials, { userId });
    if (!user || user.status === AccountStatus.DELETED) throw new AppError(ErrorCode.USER_NOT_FOUND);
    user.status = status;
    await em.flush();
    if (status !== AccountStatus.ACTIVE) await this.deps.sessions.revoke({ userId }, 'account_blocked');
    await this.#publishStatusChanged(userId, status);
  }

  /** Administration: signs every device of the account out (FORCE_LOGOUT `admin_kick`); how many were signed in. */
  async kickAll(userId: string): Promise<{ devices: number }> {
    const user = await this.deps.orm.em.fork().findOne(UserCredentials, { userId });
    if (!user) throw new AppError(ErrorCode.USER_NOT_FOUND);
    return { devices: await this.deps.sessions.revoke({ userId }, 'admin_kick') };
  }

  /**
   * Administration: deletes an account. Its sessions end (FORCE_LOGOUT `account_deleted`) and it can
   * no longer sign in (login answers 10117 to the right password). Deleting it again changes nothing.
   */
  async deleteAccount(userId: string): Promise<void> {
    const em = this.deps.orm.em.fork();
    const user = await em.findOne(UserCredentials, { userId });
    if (!user) throw new AppError(ErrorCode.USER_NOT_FOUND);
    if (user.status !== AccountStatus.DELETED) {
      user.status = AccountStatus.DELETED;
      await em.flush();
    }
    // Also after a repeated call: a first call that failed between the update and the revocation.
    await this.deps.sessions.revoke({ userId }, 'account_deleted');
    // Every call publishes, and a failed publish fails the call: the user service must hear of it
    // to erase the profile, so the administrator's retry is what sends it again (it is idempotent there).
    await this.deps.events.publish(AuthTopics.accountStatusChanged, {
      userId,
      status: AccountStatus.DELETED,
    });
  }

  async #publishStatusChanged(userId: string, status: AccountStatusValue) {
    await this.deps.events
      .publish(AuthTopics.accountStatusChanged, { userId, status })
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error, userId }, 'could not publish status change'),
      );
  }

  #target(target: { phoneNumber?: string | undefined; email?: string | undefined }): {
    channel: CodeChannel;
    value: string;
  } {
    if (target.phoneNumber) return { channel: 'sms', value: normalizePhone(target.phoneNumber) };
    if (target.email) return { channel: 'email', value: normalizeEmail(target.email) };
    throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'body: phoneNumber or email is required' });
  }

  #findByContact(channel: CodeChannel, value: string, em = this.deps.orm.em.fork()) {
    return em.findOne(UserCredentials, channel === 'sms' ? { phoneNumber: value } : { email: value });
  }

  async #publishPasswordChanged(userId: string) {
    await this.deps.events
      .publish(AuthTopics.passwordChanged, { userId })
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error, userId }, 'could not publish password change'),
      );
  }
}
