import { AppError, ErrorCode } from '../errors.ts';
import { EtagMismatchError, type StateStore, updateItem } from '../ports/index.ts';

/**
 * Writes per reservation before it gives up. With the jitter below, enough for a few dozen parallel
 * attempts on one key to all get through; past that, attempts are refused, never let through uncounted.
 */
const RESERVATION_WRITES = 12;
const RESERVATION_JITTER_MS = 8;

/**
 * A subject (an address, a name someone typed, an id from a path) as part of a state key: `|` is
 * encoded (`||` is reserved), and so are control characters, which PostgreSQL's text refuses (NUL)
 * and a log line should not carry. `%` is encoded first, so that no two subjects share a key.
 */
export const stateKeyPart = (subject: string) =>
  subject.replace(/[%|\p{Cc}]/gu, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

/** A refusal of a limit: 429 with the seconds to wait. */
export function tooManyAttempts(retryAfterSeconds: number, detail: string): AppError {
  return new AppError(ErrorCode.TOO_MANY_REQUESTS, {
    detail,
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
}

/**
 * Counts one attempt in the state store before the caller acts on it: `change` turns the stored
 * tally into the next one (or throws the refusal), and the attempt counts only once that tally is
 * written under its ETag (created only-if-absent the first time). A writer that loses to another
 * reads again and decides again, so parallel attempts are counted one by one and the limit in
 * `change` sees every earlier one. When the write keeps losing, the attempt is refused (fail
 * closed): an attempt is never checked without being counted. Resolves to the tally written.
 */
export async function reserveAttempt<T>(
  store: StateStore,
  key: string,
  change: (current: T | undefined) => T,
  ttlInSeconds: number | ((value: T) => number),
): Promise<T> {
  try {
    return await updateItem(store, key, change, {
      ttlInSeconds,
      maxAttempts: RESERVATION_WRITES,
      jitterMs: RESERVATION_JITTER_MS,
    });
  } catch (error) {
    if (error instanceof EtagMismatchError) throw tooManyAttempts(1, 'too many attempts at once; try again');
    throw error;
  }
}

/** How many attempts one subject gets, and how it slows down after them. */
export interface BackoffPolicy {
  /** Attempts counted before any wait. */
  free: number;
  /** Wait after the first attempt past `free`; each further attempt doubles it. */
  firstDelaySeconds: number;
  /** Longest wait; a tally left alone for this long is forgotten. */
  maxDelaySeconds: number;
}

/** Attempts counted, and when the last one was (ms since the epoch). */
interface Tally {
  n: number;
  at: number;
}

/** Seconds the next attempt must wait after the last of `n` counted ones. */
function waitSeconds(policy: BackoffPolicy, n: number): number {
  if (n < policy.free) return 0;
  return Math.min(policy.maxDelaySeconds, policy.firstDelaySeconds * 2 ** (n - policy.free));
}

/** Nothing stored: a release has nothing to give back. */
const NOTHING = Symbol('nothing');

/**
 * Tallies of attempts per subject (an account at an address, an address, ...) in a state store
 * shared by every replica, with exponential backoff past the free attempts. An attempt is counted
 * by `reserve` before anything is checked; `release` gives it back when it turned out legitimate.
 */
export class AttemptTallies {
  readonly #store: StateStore;
  readonly #prefix: string;

  constructor(store: StateStore, prefix: string) {
    this.#store = store;
    this.#prefix = prefix;
  }

  /** Counts one attempt, or refuses it (429, Retry-After) while the subject must wait. */
  async reserve(subject: string, policy: BackoffPolicy): Promise<void> {
    await reserveAttempt<Tally>(
      this.#store,
      this.#key(subject),
      (tally) => {
        const now = Date.now();
        const n = tally?.n ?? 0;
        const readyAt = (tally?.at ?? 0) + waitSeconds(policy, n) * 1000;
        if (now < readyAt)
          throw tooManyAttempts((readyAt - now) / 1000, 'too many failed attempts; try again later');
        return { n: n + 1, at: now };
      },
      policy.maxDelaySeconds,
    );
  }

  /**
   * Gives one reserved attempt back (it succeeded, or another limit refused it). Best effort: a
   * release that loses to contention leaves the tally one higher, which errs on the safe side.
   */
  async release(subject: string, policy: BackoffPolicy): Promise<void> {
    await updateItem<Tally>(
      this.#store,
      this.#key(subject),
      (tally) => {
        if (!tally) throw NOTHING;
        return { ...tally, n: Math.max(0, tally.n - 1) };
      },
      {
        ttlInSeconds: policy.maxDelaySeconds,
        maxAttempts: RESERVATION_WRITES,
        jitterMs: RESERVATION_JITTER_MS,
      },
    ).catch((error: unknown) => {
      if (error !== NOTHING && !(error instanceof EtagMismatchError)) throw error;
    });
  }

  /** Forgets every attempt of the subject. */
  async clear(subject: string): Promise<void> {
    await this.#store.delete(this.#key(subject));
  }

  #key(subject: string): string {
    return `${this.#prefix}:${stateKeyPart(subject)}`;
  }
}
