import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { StateStore } from '../../platform/ports/index.ts';

export type CodeChannel = 'sms' | 'email';
export type CodePurpose = 'register' | 'reset_password';

export interface CodeMessage {
  channel: CodeChannel;
  target: string;
  code: string;
  purpose: CodePurpose;
}

/** Delivers a verification code to a phone or mailbox; pluggable (SMS or e-mail gateways). */
export interface CodeSender {
  send(message: CodeMessage): Promise<void>;
}

/** Posts each code as JSON to a gateway URL (an SMS/e-mail provider adapter). */
export class WebhookCodeSender implements CodeSender {
  private readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  async send(message: CodeMessage): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(5_000),
      });
    } catch (error) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
        detail: 'verification code could not be sent',
        cause: error,
      });
    }
    if (!response.ok) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
        detail: `verification code could not be sent (gateway answered ${response.status})`,
      });
    }
  }
}

interface StoredCode {
  hash: string;
  attempts: number;
}

const MAX_ATTEMPTS = 5;
const hashCode = (code: string) => createHash('sha256').update(code).digest();

/** Six-digit, single-use codes with a TTL and a bounded number of guesses, kept (hashed) in the state store. */
export class VerificationCodes {
  private readonly store: StateStore;
  private readonly sender: CodeSender | undefined;
  private readonly ttlSeconds: number;
  private readonly resendSeconds: number;

  constructor(store: StateStore, sender: CodeSender | undefined, ttlSeconds: number, resendSeconds: number) {
    this.store = store;
    this.sender = sender;
    this.ttlSeconds = ttlSeconds;
    this.resendSeconds = resendSeconds;
  }

  get enabled(): boolean {
    return this.sender !== undefined;
  }

  async issue(channel: CodeChannel, target: string, purpose: CodePurpose, deliver = true): Promise<void> {
    if (!this.sender) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
        detail: 'no verification code sender is configured',
      });
    }
    const cooldownKey = `verify-code-sent:${target}`;
    if (await this.store.get(cooldownKey)) {
      throw new AppError(ErrorCode.TOO_MANY_REQUESTS, {
        detail: `wait ${this.resendSeconds}s before asking for another code`,
        headers: { 'Retry-After': String(this.resendSeconds) },
      });
    }
    if (this.resendSeconds > 0) await this.store.save(cooldownKey, 1, { ttlInSeconds: this.resendSeconds });
    // Asking for a reset code of an unknown account looks the same as for a known one.
    if (!deliver) return;
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const stored: StoredCode = { hash: hashCode(code).toString('hex'), attempts: 0 };
    await this.store.save(this.#key(purpose, target), stored, { ttlInSeconds: this.ttlSeconds });
    await this.sender.send({ channel, target, code, purpose });
  }

  /** Consumes the code if it matches; wrong guesses count, and too many of them burn the code. */
  async consume(target: string, purpose: CodePurpose, code: string): Promise<void> {
    const key = this.#key(purpose, target);
    const item = await this.store.get<StoredCode>(key);
    if (!item) throw new AppError(ErrorCode.VERIFY_CODE_EXPIRED, { detail: 'request a new code' });
    const expected = Buffer.from(item.value.hash, 'hex');
    if (expected.length === 32 && timingSafeEqual(expected, hashCode(code))) {
      await this.store.delete(key);
      return;
    }
    const attempts = item.value.attempts + 1;
    if (attempts >= MAX_ATTEMPTS) await this.store.delete(key);
    else
      await this.store
        .save(key, { ...item.value, attempts }, { etag: item.etag, ttlInSeconds: this.ttlSeconds })
        .catch(() => {});
    throw new AppError(ErrorCode.VERIFY_CODE_WRONG);
  }

  #key(purpose: CodePurpose, target: string) {
    return `verify-code:${purpose}:${target}`;
  }
}
