import { LockMode } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import {
  afterMatch,
  type FieldCipher,
  matchSecondFactor,
  newRecoveryCodes,
  newTotpSecret,
  totpUri,
  type WindowLimit,
} from '../../platform/security/index.ts';
import { UserCredentials, UserSecondFactor } from '../entities.ts';

const ISSUER = 'AnyChat';
/** What a sealed secret is bound to: a sealed value copied to another account's row does not open. */
export const userTotpContext = (userId: string) => `totp:user:${userId}`;

/**
 * Users' optional second factor: TOTP (RFC 6238) with ten one-time recovery codes (hashed). Set up
 * from settings (a secret to scan), turned on by a code of it (which hands out the recovery codes
 * once), turned off by a code. Once on, a sign-in from a device that has not signed in before needs
 * a code. Codes are checked and used under a row lock: each TOTP step and recovery code works once;
 * attempts per account are limited (`attempts`). Secrets are stored sealed (`cipher`, AES-256-GCM).
 */
export class TwoFactor {
  readonly #orm: MikroORM;
  readonly #attempts: WindowLimit;
  readonly #cipher: FieldCipher;

  constructor(orm: MikroORM, attempts: WindowLimit, cipher: FieldCipher) {
    this.#orm = orm;
    this.#attempts = attempts;
    this.#cipher = cipher;
  }

  async status(userId: string): Promise<{ enabled: boolean; recoveryCodesLeft: number }> {
    const factor = await this.#orm.em.fork().findOne(UserSecondFactor, { userId });
    const enabled = Boolean(factor?.enabledAt);
    return { enabled, recoveryCodesLeft: enabled ? factor!.recoveryCodes.length : 0 };
  }

  async enabled(userId: string): Promise<boolean> {
    return (await this.status(userId)).enabled;
  }

  /** A new secret to add to an authenticator app; refused (10120) while the second factor is on. */
  async setup(userId: string): Promise<{ secret: string; otpauthUri: string }> {
    const em = this.#orm.em.fork();
    const secret = newTotpSecret();
    const sealed = this.#cipher.seal(secret, userTotpContext(userId));
    const user = await em.findOne(UserCredentials, { userId });
    if (!user) throw new AppError(ErrorCode.USER_NOT_FOUND);
    await em.transactional(async (tx) => {
      const factor = await tx.findOne(UserSecondFactor, { userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (factor?.enabledAt) {
        throw new AppError(ErrorCode.SECOND_FACTOR_STATE, { detail: 'two-factor sign-in is already on' });
      }
      if (factor) tx.assign(factor, { secret: sealed, lastStep: 0, recoveryCodes: [] });
      else tx.create(UserSecondFactor, { userId, secret: sealed, lastStep: 0, recoveryCodes: [] });
    });
    return { secret, otpauthUri: totpUri(secret, ISSUER, user.account) };
  }

  /** Turns the second factor on with a code of the secret set up; the recovery codes, shown once. */
  async enable(userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
    const recovery = newRecoveryCodes();
    await this.#use(userId, code, 'pending', (factor) => {
      factor.enabledAt = new Date();
      factor.recoveryCodes = recovery.hashes;
    });
    return { recoveryCodes: recovery.codes };
  }

  /** Turns the second factor off; needs a current code or a recovery code. */
  async disable(userId: string, code: string): Promise<void> {
    await this.#use(userId, code, 'enabled', (factor, tx) => tx.remove(factor));
  }

  /** At sign-in of a new device: passes, or throws 10116 (no code given) or 10119. */
  async verify(userId: string, code: string | undefined): Promise<void> {
    if (!code) throw new AppError(ErrorCode.SECOND_FACTOR_REQUIRED);
    await this.#use(userId, code, 'enabled', () => undefined);
  }

  async #use(
    userId: string,
    code: string,
    state: 'pending' | 'enabled',
    then: (factor: UserSecondFactor, tx: EntityManager) => void,
  ): Promise<void> {
    await this.#attempts.take(userId);
    await this.#orm.em.fork().transactional(async (tx) => {
      const factor = await tx.findOne(UserSecondFactor, { userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!factor || Boolean(factor.enabledAt) !== (state === 'enabled')) {
        throw new AppError(ErrorCode.SECOND_FACTOR_STATE, {
          detail: state === 'enabled' ? 'two-factor sign-in is off' : 'set up two-factor sign-in first',
        });
      }
      const current = {
        secret: this.#cipher.open(factor.secret, userTotpContext(userId)),
        lastStep: factor.lastStep,
        recoveryHashes: factor.recoveryCodes,
      };
      // Before it is on, only the app's code proves the secret was added; recovery codes come after.
      const match = matchSecondFactor(
        state === 'enabled' ? current : { ...current, recoveryHashes: [] },
        code,
      );
      if (!match) throw new AppError(ErrorCode.SECOND_FACTOR_WRONG);
      const next = afterMatch(current, match);
      factor.lastStep = next.lastStep;
      factor.recoveryCodes = next.recoveryHashes;
      then(factor, tx);
    });
  }
}
