/**
 * State port with Dapr's semantics: named stores, ETag optimistic concurrency (first-write when an
 * ETag is given), TTL per item, and transactions over several keys of one store.
 */

export interface StateItem<T> {
  key: string;
  value: T;
  etag: string;
}

export interface SaveOptions {
  /** Save only if the stored item still has this ETag (first-write); fails with EtagMismatchError otherwise. */
  etag?: string;
  /** The item disappears after this many seconds. */
  ttlInSeconds?: number;
}

export interface StateWrite<T = unknown> extends SaveOptions {
  key: string;
  value: T;
}

export type StateOperation =
  | ({ operation: 'upsert' } & StateWrite)
  | { operation: 'delete'; key: string; etag?: string };

export interface StateStore {
  get<T>(key: string): Promise<StateItem<T> | undefined>;
  /** Items that exist, in no particular order; missing keys are left out. */
  getBulk<T>(keys: string[]): Promise<StateItem<T>[]>;
  save<T>(key: string, value: T, options?: SaveOptions): Promise<void>;
  delete(key: string, options?: { etag?: string }): Promise<void>;
  /** All operations apply, or none (an ETag mismatch rolls back the whole transaction). */
  transact(operations: StateOperation[]): Promise<void>;
}

export interface StatePort {
  store(name: string): StateStore;
}

/** The stored item changed (or vanished) since the caller read its ETag. */
export class EtagMismatchError extends Error {
  override name = 'EtagMismatchError';
  readonly key: string;

  constructor(key: string) {
    super(`state item "${key}" was modified concurrently (ETag mismatch)`);
    this.key = key;
  }
}

/** The state store could not be reached or failed; callers may retry. */
export class StateUnavailableError extends Error {
  override name = 'StateUnavailableError';
}

/** A key the state stores cannot hold: empty, or containing `||`, which Dapr reserves as its prefix separator. */
export class InvalidStateKeyError extends Error {
  override name = 'InvalidStateKeyError';
}

export function assertStateKey(key: string): void {
  if (key.length === 0 || key.includes('||'))
    throw new InvalidStateKeyError(`invalid state key "${key}": keys are non-empty and may not contain "||"`);
}
