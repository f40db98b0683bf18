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
  /**
   * Save only if no live item has this key (Dapr: first-write concurrency without an ETag); fails
   * with EtagMismatchError otherwise. Not with `etag`. On Dapr's Redis store this holds only for keys
   * that are never written without an ETag or this flag: a plain save there lifts the guard.
   */
  onlyIfAbsent?: boolean;
  /** The item disappears after this many seconds. */
  ttlInSeconds?: number;
}

/** A write inside a transaction: `onlyIfAbsent` is not offered, Dapr's Redis store ignores it there. */
export interface StateWrite<T = unknown> extends Omit<SaveOptions, 'onlyIfAbsent'> {
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

export function assertSaveOptions(options: SaveOptions | undefined): void {
  if (options?.etag !== undefined && options.onlyIfAbsent)
    throw new TypeError('a save takes an ETag or onlyIfAbsent, not both');
}

export interface UpdateOptions<T> {
  /** Saved with the new value (a function of it when the lifetime depends on what is stored). */
  ttlInSeconds?: number | ((value: T) => number);
  /** Writes tried before the EtagMismatchError of the last one is thrown. */
  maxAttempts: number;
  /** Between attempts, a random wait of up to this many ms times the attempt number (many writers, one key). */
  jitterMs?: number;
}

/**
 * Read-modify-write of one item under ETag concurrency: `change` gets the stored value (a copy it
 * may mutate; undefined when absent) and returns the value to save (or throws to give up); when
 * another writer got there first, it runs again on the fresh value. An absent item is created only
 * if it is still absent, so two writers that both found nothing cannot overwrite each other either.
 * Resolves to the value that was saved: exactly one write per call, never lost.
 */
export async function updateItem<T>(
  store: StateStore,
  key: string,
  change: (current: T | undefined) => T | Promise<T>,
  options: UpdateOptions<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const item = await store.get<T>(key);
    const value = await change(item ? structuredClone(item.value) : undefined);
    const ttl =
      typeof options.ttlInSeconds === 'function' ? options.ttlInSeconds(value) : options.ttlInSeconds;
    try {
      await store.save(key, value, {
        ...(item ? { etag: item.etag } : { onlyIfAbsent: true }),
        ...(ttl !== undefined ? { ttlInSeconds: ttl } : {}),
      });
      return value;
    } catch (error) {
      if (!(error instanceof EtagMismatchError) || attempt >= options.maxAttempts) throw error;
      if (options.jitterMs)
        await new Promise((resolve) => setTimeout(resolve, Math.random() * options.jitterMs! * attempt));
    }
  }
}
