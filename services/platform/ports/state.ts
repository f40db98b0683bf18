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

export interface UpdateOptions {
  /** Saved with the new value. */
  ttlInSeconds?: number;
  /** Writes tried before the EtagMismatchError of the last one is thrown. */
  maxAttempts: number;
  /** Between attempts, a random wait of up to this many ms times the attempt number (many writers, one key). */
  jitterMs?: number;
}

/**
 * Read-modify-write of one item under ETag concurrency: `change` gets the stored value (a copy it
 * may mutate; undefined when absent) and returns the value to save; when another writer got there
 * first, it runs again on the fresh value.
 */
export async function updateItem<T>(
  store: StateStore,
  key: string,
  change: (current: T | undefined) => T | Promise<T>,
  options: UpdateOptions,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const item = await store.get<T>(key);
    const value = await change(item ? structuredClone(item.value) : undefined);
    try {
      await store.save(key, value, {
        ...(item ? { etag: item.etag } : {}),
        ...(options.ttlInSeconds !== undefined ? { ttlInSeconds: options.ttlInSeconds } : {}),
      });
      return;
    } catch (error) {
      if (!(error instanceof EtagMismatchError) || attempt >= options.maxAttempts) throw error;
      if (options.jitterMs)
        await new Promise((resolve) => setTimeout(resolve, Math.random() * options.jitterMs! * attempt));
    }
  }
}
