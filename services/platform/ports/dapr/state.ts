import { type DaprClient, StateConcurrencyEnum } from '@dapr/dapr';
import {
  assertSaveOptions,
  assertStateKey,
  EtagMismatchError,
  type SaveOptions,
  type StateItem,
  type StateOperation,
  type StatePort,
  type StateStore,
  StateUnavailableError,
} from '../state.ts';
import { sidecarFailure } from './client.ts';

/**
 * State through the sidecar. Wraps three traps of @dapr/dapr: `save`/`delete` return `{error}` instead
 * of throwing (turned into typed errors here), and the HTTP `get` drops the ETag (so single reads go
 * through the bulk endpoint, which keeps it).
 */
export class DaprStatePort implements StatePort {
  private readonly client: DaprClient;

  constructor(client: DaprClient) {
    this.client = client;
  }

  store(name: string): StateStore {
    return new DaprStateStore(this.client, name);
  }
}

interface BulkItem {
  key: string;
  data?: unknown;
  etag?: string;
  error?: string;
}

/**
 * The SDK sends a concurrency only when given as its enum (a string such as 'first-write' is dropped
 * without a word, and the sidecar then applies last-write rules where they differ: no create-only).
 */
const FIRST_WRITE = StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE;

function metadata(options: SaveOptions | undefined): Record<string, string> | undefined {
  return options?.ttlInSeconds === undefined ? undefined : { ttlInSeconds: String(options.ttlInSeconds) };
}

function stateError(key: string, error: unknown): Error {
  const failure = sidecarFailure(error);
  // Dapr answers 409 for an ETag mismatch on HTTP, and reports a missing item under an ETag as 409 too.
  // The Redis store's version check surfaces only as its script's "failed to set key" reply (inside a
  // transaction, or for a first-write save without an ETag), and PostgreSQL's refused create-only
  // save as "no item was updated": both are that same conflict.
  if (failure.status === 409 || /etag|failed to set key|no item was updated/i.test(failure.body))
    return new EtagMismatchError(key);
  return new StateUnavailableError(
    `state store failed for "${key}": ${failure.status ?? ''} ${failure.body}`,
  );
}

class DaprStateStore implements StateStore {
  private readonly client: DaprClient;
  private readonly name: string;

  constructor(client: DaprClient, name: string) {
    this.client = client;
    this.name = name;
  }

  async get<T>(key: string): Promise<StateItem<T> | undefined> {
    const [item] = await this.getBulk<T>([key]);
    return item;
  }

  async getBulk<T>(keys: string[]): Promise<StateItem<T>[]> {
    if (keys.length === 0) return [];
    keys.forEach(assertStateKey);
    let items: BulkItem[];
    try {
      items = (await this.client.state.getBulk(this.name, keys)) as unknown as BulkItem[];
    } catch (error) {
      throw stateError(keys.join(','), error);
    }
    return items
      .filter((item) => !item.error && item.data !== undefined && item.data !== '' && item.etag)
      .map((item) => ({ key: item.key, value: item.data as T, etag: item.etag! }));
  }

  async save<T>(key: string, value: T, options?: SaveOptions): Promise<void> {
    assertStateKey(key);
    assertSaveOptions(options);
    const meta = metadata(options);
    // First-write without an ETag is Dapr's "create only": PostgreSQL inserts unless a live row is
    // there; Redis refuses a key that an earlier first-write save created or updated.
    const result = await this.client.state.save(this.name, [
      {
        key,
        value,
        ...(options?.etag !== undefined ? { etag: options.etag } : {}),
        ...(options?.etag !== undefined || options?.onlyIfAbsent
          ? { options: { concurrency: FIRST_WRITE } }
          : {}),
        ...(meta ? { metadata: meta } : {}),
      } as never,
    ]);
    if (result.error) throw stateError(key, result.error);
  }

  async delete(key: string, options?: { etag?: string }): Promise<void> {
    assertStateKey(key);
    const result = await this.client.state.delete(
      this.name,
      key,
      options?.etag !== undefined ? ({ etag: options.etag, concurrency: FIRST_WRITE } as never) : undefined,
    );
    if (result.error) throw stateError(key, result.error);
  }

  async transact(operations: StateOperation[]): Promise<void> {
    for (const op of operations) assertStateKey(op.key);
    const requests = operations.map((op) =>
      op.operation === 'upsert'
        ? {
            operation: 'upsert',
            request: {
              key: op.key,
              value: op.value,
              ...(op.etag !== undefined ? { etag: op.etag, options: { concurrency: FIRST_WRITE } } : {}),
              ...(metadata(op) ? { metadata: metadata(op) } : {}),
            },
          }
        : {
            operation: 'delete',
            request: {
              key: op.key,
              ...(op.etag !== undefined ? { etag: op.etag, options: { concurrency: FIRST_WRITE } } : {}),
            },
          },
    );
    try {
      await this.client.state.transaction(this.name, requests as never);
    } catch (error) {
      throw stateError(operations.map((op) => op.key).join(','), error);
    }
  }
}
