import { AppError, ErrorCode } from '../../platform/errors.ts';
import { EtagMismatchError, type StateStore, updateItem } from '../../platform/ports/index.ts';

interface Failures {
  count: number;
}

/**
 * Counts failed logins per account and per client address in the state store (so every replica sees
 * them); past the limit, logins are refused for the lock window whatever the password.
 */
export class LoginThrottle {
  private readonly store: StateStore;
  private readonly maxFailures: number;
  private readonly lockSeconds: number;

  constructor(store: StateStore, maxFailures: number, lockSeconds: number) {
    this.store = store;
    this.maxFailures = maxFailures;
    this.lockSeconds = lockSeconds;
  }

  async assertAllowed(account: string, ip: string): Promise<void> {
    const [byAccount, byIp] = await Promise.all([
      this.store.get<Failures>(this.#accountKey(account)),
      this.store.get<Failures>(this.#ipKey(ip)),
    ]);
    if (
      (byAccount?.value.count ?? 0) >= this.maxFailures ||
      (byIp?.value.count ?? 0) >= this.maxFailures * 4
    ) {
      throw new AppError(ErrorCode.TOO_MANY_REQUESTS, {
        detail: 'too many failed logins; try again later',
        headers: { 'Retry-After': String(this.lockSeconds) },
      });
    }
  }

  async recordFailure(account: string, ip: string): Promise<void> {
    await Promise.all([this.#increment(this.#accountKey(account)), this.#increment(this.#ipKey(ip))]);
  }

  async reset(account: string): Promise<void> {
    await this.store.delete(this.#accountKey(account));
  }

  async #increment(key: string): Promise<void> {
    await updateItem<Failures>(this.store, key, (current) => ({ count: (current?.count ?? 0) + 1 }), {
      ttlInSeconds: this.lockSeconds,
      maxAttempts: 5,
    }).catch((error: unknown) => {
      // Five writers racing on one counter: it is high enough already.
      if (!(error instanceof EtagMismatchError)) throw error;
    });
  }

  #accountKey = (account: string) => `login-failures:account:${account}`;
  #ipKey = (ip: string) => `login-failures:ip:${ip}`;
}
