import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import {
  afterMatch,
  type FieldCipher,
  matchSecondFactor,
  newRecoveryCodes,
  newTotpSecret,
  totpUri,
} from '../../platform/security/index.ts';

/** `required`: every administrator signs in with a second factor, enrolling at the first login. */
export type AdminSecondFactorPolicy = 'required' | 'optional';

/** What a sealed secret is bound to: a sealed value copied to another administrator's row does not open. */
export const adminTotpContext = (adminId: string) => `totp:admin:${adminId}`;

interface FactorRow {
  totp_secret: string | null;
  totp_enabled_at: string | null;
  totp_last_step: string;
  recovery_codes: string[];
}

/**
 * Administrators' TOTP second factor (RFC 6238) with one-time recovery codes. Enrollment happens at
 * login: an administrator without one (under `required`) gets a new secret in the 10116 answer, adds
 * it to an authenticator app and logs in again with a code of it, which turns it on and hands out
 * the recovery codes once. Each TOTP step and each recovery code signs in once (checked and
 * stored under a row lock). Secrets are stored sealed (`cipher`, AES-256-GCM).
 */
export class AdminSecondFactor {
  readonly #sql: SqlExecutor;
  readonly #policy: AdminSecondFactorPolicy;
  readonly #cipher: FieldCipher;

  constructor(sql: SqlExecutor, policy: AdminSecondFactorPolicy, cipher: FieldCipher) {
    this.#sql = sql;
    this.#policy = policy;
    this.#cipher = cipher;
  }

  /**
   * Passes an administrator whose password was right through the second factor; what the login
   * answer adds (recovery codes when this login enrolled). Throws 10116 (code needed) or 10119.
   */
  async verify(
    admin: { adminId: string; username: string },
    code: string | undefined,
  ): Promise<{ recoveryCodes?: string[] }> {
    // The secret to enroll is kept before anything can fail: the next login checks a code of it.
    if (this.#policy === 'required') {
      await this.#sql.query(
        `update "admin"."admin_users" set totp_secret = ?
         where admin_id = ? and totp_secret is null and totp_enabled_at is null`,
        [this.#cipher.seal(newTotpSecret(), adminTotpContext(admin.adminId)), admin.adminId],
      );
    }
    return this.#sql.transaction(async (tx) => {
      const [row] = await tx.query<FactorRow>(
        `select totp_secret, totp_enabled_at, totp_last_step::text, recovery_codes
         from "admin"."admin_users" where admin_id = ? for update`,
        [admin.adminId],
      );
      if (!row) throw new AppError(ErrorCode.ADMIN_NOT_FOUND);
      const enrolled = row.totp_enabled_at !== null && row.totp_secret !== null;
      const secret = row.totp_secret && this.#cipher.open(row.totp_secret, adminTotpContext(admin.adminId));
      if (!secret || (!enrolled && this.#policy === 'optional')) return {};
      if (!code) {
        throw new AppError(ErrorCode.SECOND_FACTOR_REQUIRED, {
          detail: enrolled
            ? 'send the authenticator code (or a recovery code) as otp'
            : 'add this secret to an authenticator app, then log in again with its code as otp',
          data: {
            enroll: enrolled
              ? null
              : { secret, otpauthUri: totpUri(secret, 'AnyChat admin', admin.username) },
          },
        });
      }
      const state = {
        secret,
        lastStep: Number(row.totp_last_step),
        recoveryHashes: enrolled ? row.recovery_codes : [],
      };
      const match = matchSecondFactor(state, code);
      if (!match) throw new AppError(ErrorCode.SECOND_FACTOR_WRONG);
      const next = afterMatch(state, match);
      if (enrolled) {
        await tx.query(
          'update "admin"."admin_users" set totp_last_step = ?, recovery_codes = ? where admin_id = ?',
          [next.lastStep, JSON.stringify(next.recoveryHashes), admin.adminId],
        );
        return {};
      }
      const recovery = newRecoveryCodes();
      await tx.query(
        `update "admin"."admin_users" set totp_enabled_at = now(), totp_last_step = ?, recovery_codes = ?
         where admin_id = ?`,
        [next.lastStep, JSON.stringify(recovery.hashes), admin.adminId],
      );
      return { recoveryCodes: recovery.codes };
    });
  }
}
