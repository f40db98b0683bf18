import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Language } from '../../platform/errors.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { EtagMismatchError, type StateStore } from '../../platform/ports/index.ts';
import { reserveAttempt, tooManyAttempts, WindowLimit } from '../../platform/security/index.ts';
import type { CodeChannel, CodePurpose, Delivery } from './delivery/index.ts';

export type { CodeChannel, CodePurpose } from './delivery/index.ts';

/**
 * A code as stored. It is never deleted by a guess, only marked: `used` or `dead` records stay until
 * their TTL so that every later write still meets an ETag (Dapr's Redis store would take a write
 * under a stale ETag as a create if the item were gone, bringing a burnt code back).
 */
interface StoredCode {
  hash: string;
  attempts: number;
  state: 'live' | 'used' | 'dead';
  /** ms since the epoch; checked here too, so a code written back after its TTL stays expired. */
  expiresAt: number;
}

const MAX_ATTEMPTS = 5;
const hashCode = (code: string) => createHash('sha256').update(code).digest();
const matches = (stored: StoredCode, code: string) => {
  const expected = Buffer.from(stored.hash, 'hex');
  return expected.length === 32 && timingSafeEqual(expected, hashCode(code));
};
const secondsLeft = (stored: StoredCode) => Math.max(1, Math.ceil((stored.expiresAt - Date.now()) / 1000));

/**
 * Six-digit, single-use codes with a TTL and at most MAX_ATTEMPTS guesses each, kept (hashed) in the
 * state store. A guess counts before it is answered: its outcome (used, or one more wrong attempt,
 * the last one burning the code) is one write under the code's ETag, and only a guess whose write
 * landed gets an answer. Parallel guesses therefore queue on the ETag: at most MAX_ATTEMPTS of them
 * are ever answered "wrong", exactly one right one consumes the code, and a guess that cannot get
 * its write in is refused (429) without learning anything.
 */
export class VerificationCodes {
  private readonly store: StateStore;
  private readonly delivery: Delivery;
  private readonly ttlSeconds: number;
  private readonly resendSeconds: number;
  /** Codes per target per hour: a target can't be flooded from many addresses. */
  private readonly perTarget: WindowLimit;

  constructor(
    store: StateStore,
    delivery: Delivery,
    options: { ttlSeconds: number; resendSeconds: number; targetHourlyLimit: number },
  ) {
    this.store = store;
    this.delivery = delivery;
    this.ttlSeconds = options.ttlSeconds;
    this.resendSeconds = options.resendSeconds;
    this.perTarget = new WindowLimit(store, 'verify-code-target', {
      limit: options.targetHourlyLimit,
      windowMs: 3_600_000,
    });
  }

  /** Whether codes can be sent on `channel`. */
  supports(channel: CodeChannel): boolean {
    return this.delivery.supports(channel);
  }

  async issue(
    channel: CodeChannel,
    target: string,
    purpose: CodePurpose,
    options: { language: Language; deliver?: boolean },
  ): Promise<void> {
    if (!this.delivery.supports(channel)) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
        detail: `no ${channel === 'sms' ? 'SMS' : 'e-mail'} sender is configured`,
      });
    }
    await this.#claimResend(target);
    await this.perTarget.take(target);
    // Asking for a reset code of an unknown account looks the same as for a known one.
    if (options.deliver === false) return;
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const stored: StoredCode = {
      hash: hashCode(code).toString('hex'),
      attempts: 0,
      state: 'live',
      expiresAt: Date.now() + this.ttlSeconds * 1000,
    };
    // Under the old code's ETag: guesses at the old code still racing are told it expired.
    await reserveAttempt<StoredCode>(this.store, this.#key(purpose, target), () => stored, this.ttlSeconds);
    try {
      await this.delivery.sendCode({
        channel,
        target,
        code,
        purpose,
        language: options.language,
        ttlSeconds: this.ttlSeconds,
      });
    } catch (error) {
      // Nothing arrived: the client may ask again at once (the per-target hourly count still holds).
      if (this.resendSeconds > 0) await this.store.delete(this.#resendKey(target)).catch(() => undefined);
      throw error;
    }
  }

  /** Consumes the code if it matches; wrong guesses count, and the last allowed one burns the code. */
  async consume(target: string, purpose: CodePurpose, code: string): Promise<void> {
    let right = false;
    await reserveAttempt<StoredCode>(
      this.store,
      this.#key(purpose, target),
      (stored) => {
        if (stored?.state !== 'live' || !(stored.expiresAt > Date.now()))
          throw new AppError(ErrorCode.VERIFY_CODE_EXPIRED, { detail: 'request a new code' });
        // Decided on this read, acted on only if the write below lands on this very version.
        right = matches(stored, code);
        const attempts = stored.attempts + 1;
        return {
          ...stored,
          attempts,
          state: right ? 'used' : attempts >= MAX_ATTEMPTS ? 'dead' : 'live',
        };
      },
      secondsLeft,
    );
    if (!right) throw new AppError(ErrorCode.VERIFY_CODE_WRONG);
  }

  /** One code per target per resend interval: whoever creates the marker first may send. */
  async #claimResend(target: string): Promise<void> {
    if (this.resendSeconds === 0) return;
    try {
      await this.store.save(this.#resendKey(target), 1, {
        onlyIfAbsent: true,
        ttlInSeconds: this.resendSeconds,
      });
    } catch (error) {
      if (!(error instanceof EtagMismatchError)) throw error;
      throw tooManyAttempts(this.resendSeconds, `wait ${this.resendSeconds}s before asking for another code`);
    }
  }

  #resendKey(target: string) {
    return `verify-code-sent:${target}`;
  }

  #key(purpose: CodePurpose, target: string) {
    return `verify-code:${purpose}:${target}`;
  }
}
