import type { MikroORM } from '@mikro-orm/postgresql';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import { AccountStatus, UserCredentials } from '../entities.ts';
import { verifyPassword } from './passwords.ts';
import type { Sessions } from './sessions.ts';
import type { VerificationCodes } from './verification-codes.ts';

/** Due deletions finalised per sweep statement. */
const BATCH = 100;

/** What proves, at the moment of asking, that the user deleting the account is its owner. */
export interface DeletionProof {
  password?: string | undefined;
  /** A sign-in code (purpose `login`) sent to the account's phone number or e-mail. */
  verifyCode?: string | undefined;
}

export interface DeletionDeps {
  orm: MikroORM;
  sessions: Sessions;
  codes: VerificationCodes;
  /** The deletion itself (status DELETED, sessions revoked, `auth.account.status-changed` published). */
  deleteAccount: (userId: string) => Promise<void>;
  graceSeconds: number;
  logger: Logger;
}

/**
 * A user deleting their own account. The request is re-authenticated (password, or a fresh code
 * for accounts whose password the user never set, such as identity-provider ones), signs every
 * device out and schedules the deletion `graceSeconds` later; signing in before then cancels it
 * (the sign-in answer says so). With no grace period the account is deleted at once. The deletion
 * is the administrator's: auth publishes `auth.account.status-changed` (3) and every service
 * removes or anonymises its own data on it.
 */
export class AccountDeletions {
  readonly #deps: DeletionDeps;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<unknown> | undefined;

  constructor(deps: DeletionDeps) {
    this.#deps = deps;
  }

  async request(userId: string, proof: DeletionProof): Promise<{ deletesAt: Date; deleted: boolean }> {
    const em = this.#deps.orm.em.fork();
    const user = await em.findOne(UserCredentials, { userId });
    if (!user || user.status === AccountStatus.DELETED) throw new AppError(ErrorCode.USER_NOT_FOUND);
    await this.#verify(user, proof);
    const deletesAt = new Date(Date.now() + this.#deps.graceSeconds * 1000);
    // A second request keeps the earlier date: asking again never postpones a deletion.
    if (!user.deletionDueAt || user.deletionDueAt > deletesAt) user.deletionDueAt = deletesAt;
    await em.flush();
    if (this.#deps.graceSeconds === 0) {
      const deleted = await this.#finalise(userId);
      return { deletesAt, deleted };
    }
    // Every device is signed out now (sockets closed); signing in again is what cancels.
    await this.#deps.sessions.revoke({ userId }, 'account_deleted');
    return { deletesAt: user.deletionDueAt, deleted: false };
  }

  /**
   * Called by every sign-in of an account not deleted: cancels a pending deletion. Throws 10117
   * when the deletion took effect meanwhile (the sweeper won the race against this sign-in).
   */
  async cancelOnSignIn(user: UserCredentials): Promise<boolean> {
    if (!user.deletionDueAt) return false;
    const rows = await this.#deps.orm.em.fork().execute<Array<{ user_id: string }>>(
      `update "auth"."users" set "deletion_due_at" = null
          where "user_id" = ? and "status" <> ? and "deletion_due_at" is not null returning "user_id"`,
      [user.userId, AccountStatus.DELETED],
    );
    if (rows.length === 0) throw new AppError(ErrorCode.ACCOUNT_ABNORMAL);
    user.deletionDueAt = null;
    return true;
  }

  /** Finalises due deletions every `intervalMs`, in every process (each finalisation is claimed by one). */
  startSweeper(intervalMs: number): void {
    this.#timer ??= setInterval(() => void this.sweepNow(), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  /** One sweep unless one is under way; resolves with how many deletions it finalised. */
  sweepNow(): Promise<unknown> {
    this.#sweeping ??= this.sweep()
      .catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'account deletion sweep failed'))
      .finally(() => {
        this.#sweeping = undefined;
      });
    return this.#sweeping;
  }

  async sweep(): Promise<number> {
    const due = await this.#deps.orm.em.fork().execute<Array<{ user_id: string }>>(
      `select "user_id"::text as "user_id" from "auth"."users"
          where "deletion_due_at" is not null and "deletion_due_at" <= now() order by "deletion_due_at" limit ${BATCH}`,
    );
    let done = 0;
    for (const { user_id } of due) if (await this.#finalise(user_id)) done++;
    return done;
  }

  /**
   * Marks the account deleted if its deletion is (still) due, then revokes and publishes. The mark
   * is a conditional update, so a sign-in that cancelled first wins; `deletion_due_at` is cleared
   * only once the event is out, so a failed publish is retried by the next sweep.
   */
  async #finalise(userId: string): Promise<boolean> {
    const em = this.#deps.orm.em.fork();
    const rows = await em.execute<Array<{ user_id: string }>>(
      `update "auth"."users" set "status" = ?, "updated_at" = now()
        where "user_id" = ? and "deletion_due_at" is not null and "deletion_due_at" <= now() returning "user_id"`,
      [AccountStatus.DELETED, userId],
    );
    if (rows.length === 0) return false;
    await this.#deps.deleteAccount(userId);
    await em.execute(`update "auth"."users" set "deletion_due_at" = null where "user_id" = ?`, [userId]);
    this.#deps.logger.info({ userId }, 'account deleted at its owner’s request');
    return true;
  }

  async #verify(user: UserCredentials, proof: DeletionProof): Promise<void> {
    if (proof.password !== undefined) {
      if (!(await verifyPassword(user.passwordHash, proof.password)))
        throw new AppError(ErrorCode.WRONG_PASSWORD);
      return;
    }
    if (proof.verifyCode !== undefined) {
      const targets = [user.phoneNumber, user.email].filter((target): target is string => !!target);
      if (targets.length === 0)
        throw new AppError(ErrorCode.INVALID_PARAMS, {
          detail: 'the account has no phone or e-mail for a code',
        });
      let failure: unknown;
      // The code may have been sent to either contact of the account.
      for (const target of targets) {
        try {
          await this.#deps.codes.consume(target, 'login', proof.verifyCode);
          return;
        } catch (error) {
          failure = error;
        }
      }
      throw failure;
    }
    throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'password or verifyCode: one is required' });
  }
}
