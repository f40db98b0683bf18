import { randomInt } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { EtagMismatchError, type StateStore } from '../ports/index.ts';
import { stateKeyPart, tooManyAttempts } from './attempts.ts';

export interface WindowLimitOptions {
  /** Requests allowed per window for one key. */
  limit: number;
  windowMs: number;
  /** What is limited: by default the client address. */
  key?: (ctx: Context) => string;
}

/** A window's count is spread over at most this many items, so that parallel requests rarely write the same one. */
const MAX_STRIPES = 16;
/** Reads of the stripes before a request that keeps losing its write is refused. */
const ROUNDS = 4;

/**
 * Fixed-window limit counted exactly in a state store shared by every replica (unlike `rateLimit`,
 * which counts per process). The window's allowance is split over stripes, each an item with its
 * own share; a request takes one unit from a stripe that has some left, by a write under that
 * stripe's ETag (or a create-only write), so no share is ever exceeded and the sum stays within the
 * limit whatever the concurrency. Requests that keep losing writes are refused (fail closed).
 */
export class WindowLimit {
  readonly #store: StateStore;
  readonly #name: string;
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #shares: number[];

  constructor(store: StateStore, name: string, options: { limit: number; windowMs: number }) {
    this.#store = store;
    this.#name = name;
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    const stripes = Math.min(MAX_STRIPES, options.limit);
    this.#shares = Array.from(
      { length: stripes },
      (_, i) => Math.floor(options.limit / stripes) + (i < options.limit % stripes ? 1 : 0),
    );
  }

  /** Takes one request of `subject`'s current window, or refuses it (429, Retry-After). */
  async take(subject: string): Promise<void> {
    const now = Date.now();
    const window = Math.floor(now / this.#windowMs);
    const windowEnd = (window + 1) * this.#windowMs;
    const ttlInSeconds = Math.ceil((windowEnd - now) / 1000) + 1;
    const keys = this.#shares.map((_, i) => `${this.#name}:${stateKeyPart(subject)}:${window}:${i}`);
    for (let round = 0; round < ROUNDS; round++) {
      const stored = new Map(
        (await this.#store.getBulk<number>(keys)).map((item) => [item.key, item] as const),
      );
      const open = keys
        .map((key, i) => ({ key, share: this.#shares[i]!, item: stored.get(key) }))
        .filter((stripe) => (stripe.item?.value ?? 0) < stripe.share);
      if (open.length === 0)
        throw tooManyAttempts(
          (windowEnd - now) / 1000,
          `${this.#name}: limit of ${this.#limit} per ${this.#windowMs / 1000}s`,
        );
      // Start at a random open stripe so that parallel requests spread out.
      const start = randomInt(open.length);
      for (let i = 0; i < open.length; i++) {
        const { key, item } = open[(start + i) % open.length]!;
        try {
          await this.#store.save(key, (item?.value ?? 0) + 1, {
            ...(item ? { etag: item.etag } : { onlyIfAbsent: true }),
            ttlInSeconds,
          });
          return;
        } catch (error) {
          if (!(error instanceof EtagMismatchError)) throw error;
        }
      }
    }
    throw tooManyAttempts(1, `${this.#name}: too many requests at once; try again`);
  }
}

/** Koa middleware of a WindowLimit, by client address unless `key` says otherwise. */
export function sharedRateLimit(store: StateStore, name: string, options: WindowLimitOptions): Middleware {
  const limit = new WindowLimit(store, `rate:${name}`, options);
  return async (ctx, next) => {
    await limit.take(options.key?.(ctx) ?? ctx.ip);
    await next();
  };
}
