import type { StateStore } from '../ports/index.ts';
import { AttemptTallies, type BackoffPolicy } from './attempts.ts';

export interface SignInLimits {
  /** Failed sign-ins of one account from one address (or one known device) before backoff starts. */
  maxFailures: number;
  /** First backoff wait; it doubles with each further failure. */
  backoffSeconds: number;
  /** Longest backoff wait; tallies left alone this long are forgotten. */
  maxBackoffSeconds: number;
  /**
   * Failed sign-ins of one account from all addresses together before only known devices get
   * through without waiting (a ceiling against guessing from many addresses); 0: none.
   */
  accountMaxFailures: number;
  /** Failed sign-ins from one address across all accounts before it backs off (password spraying). */
  addressMaxFailures: number;
}

export interface SignInAttempt {
  /** Who is signing in: a stable id of the account (or of the name tried, when there is none). */
  account: string;
  /** The client address. */
  address: string;
  /**
   * A device that proved it signed in to this account before (with a token the server issued, not
   * an id the client picked): it is throttled on its own and passes the account's ceiling.
   */
  knownDevice?: string | undefined;
}

/** A counted sign-in attempt: report success, or nothing (a failure stays counted). */
export interface SignInTicket {
  succeeded(): Promise<void>;
}

/**
 * Throttles password guessing without letting a stranger lock the owner out. Every attempt is
 * counted before the password is checked (see AttemptTallies), on each tally that applies:
 *
 * - the account at this address: `maxFailures`, then exponential backoff. A stranger's failures
 *   slow down the stranger's address only; a success there clears it.
 * - the account from everywhere: a higher ceiling, so that many addresses cannot guess freely.
 *   A success gives its attempt back but does not clear the others (the owner signing in
 *   elsewhere does not reset a distributed attack).
 * - the address across accounts: slows down one address spraying many accounts.
 *
 * A known device is counted on its own tally only: it does not feel the account's ceiling or its
 * address's failures, and whoever holds its token still gets only `maxFailures` before backoff.
 */
export class SignInThrottle {
  readonly #tallies: AttemptTallies;
  readonly #pair: BackoffPolicy;
  readonly #account: BackoffPolicy;
  readonly #address: BackoffPolicy;

  constructor(store: StateStore, prefix: string, limits: SignInLimits) {
    this.#tallies = new AttemptTallies(store, prefix);
    const backoff = { firstDelaySeconds: limits.backoffSeconds, maxDelaySeconds: limits.maxBackoffSeconds };
    this.#pair = { free: limits.maxFailures, ...backoff };
    this.#account = {
      free: limits.accountMaxFailures > 0 ? limits.accountMaxFailures : Number.POSITIVE_INFINITY,
      ...backoff,
    };
    this.#address = { free: limits.addressMaxFailures, ...backoff };
  }

  /** Counts the attempt on every tally that applies, or refuses it (429) and counts it on none. */
  async begin(attempt: SignInAttempt): Promise<SignInTicket> {
    const tallies = this.#talliesOf(attempt);
    const reserved: typeof tallies = [];
    try {
      for (const tally of tallies) {
        await this.#tallies.reserve(tally.subject, tally.policy);
        reserved.push(tally);
      }
    } catch (error) {
      await Promise.all(reserved.map((tally) => this.#tallies.release(tally.subject, tally.policy)));
      throw error;
    }
    return {
      succeeded: async () => {
        await Promise.all(
          tallies.map((tally) =>
            tally.clearOnSuccess
              ? this.#tallies.clear(tally.subject)
              : this.#tallies.release(tally.subject, tally.policy),
          ),
        );
      },
    };
  }

  /** Forgets the account's failures from everywhere (its owner proved control, e.g. by a reset code). */
  async forgetAccount(account: string): Promise<void> {
    await this.#tallies.clear(`account:${account}`);
  }

  #talliesOf(attempt: SignInAttempt) {
    const { account, address, knownDevice } = attempt;
    if (knownDevice !== undefined)
      return [{ subject: `device:${account}:${knownDevice}`, policy: this.#pair, clearOnSuccess: true }];
    // Narrowest first, reserved one after the other: an attempt the account-and-address tally
    // refuses never takes a share of the address's or the account's, so one address hammering one
    // account spends at most its own allowance of the account's ceiling.
    return [
      { subject: `pair:${account}:${address}`, policy: this.#pair, clearOnSuccess: true },
      { subject: `address:${address}`, policy: this.#address, clearOnSuccess: false },
      ...(Number.isFinite(this.#account.free)
        ? [{ subject: `account:${account}`, policy: this.#account, clearOnSuccess: false }]
        : []),
    ];
  }
}
