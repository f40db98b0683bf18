import type { SqlExecutor } from '../../../../common/index.ts';
import {
  assertSaveOptions,
  assertStateKey,
  EtagMismatchError,
  type SaveOptions,
  type StateItem,
  type StateOperation,
  type StatePort,
  type StateStore,
} from '../state.ts';

const LIVE = '(expires_at is null or expires_at > now())';

/**
 * State stores in one PostgreSQL key/value table (platform.state_entries). Values make the same JSON
 * round-trip as through a sidecar; ETags are versions from a sequence; expired rows read as absent
 * and are swept by `sweepExpired`.
 * `keyPrefix` mirrors Dapr's default of prefixing keys with the app-id; shared stores use none.
 */
export class PostgresStatePort implements StatePort {
  private readonly sql: SqlExecutor;
  private readonly keyPrefix: (storeName: string) => string;

  constructor(sql: SqlExecutor, keyPrefix: (storeName: string) => string) {
    this.sql = sql;
    this.keyPrefix = keyPrefix;
  }

  store(name: string): StateStore {
    return new PostgresStateStore(this.sql, name, this.keyPrefix(name));
  }

  async sweepExpired(): Promise<number> {
    const rows = await this.sql.query(
      'delete from platform.state_entries where expires_at <= now() returning 1 as gone',
    );
    return rows.length;
  }
}

function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('state values must be JSON-serializable');
  return json;
}

function ttl(options: SaveOptions | undefined): number | null {
  const seconds = options?.ttlInSeconds;
  if (seconds === undefined) return null;
  if (!Number.isInteger(seconds) || seconds <= 0)
    throw new RangeError('ttlInSeconds must be a positive integer');
  return seconds;
}

class PostgresStateStore implements StateStore {
  private readonly sql: SqlExecutor;
  private readonly name: string;
  private readonly prefix: string;

  constructor(sql: SqlExecutor, name: string, prefix: string) {
    this.sql = sql;
    this.name = name;
    this.prefix = prefix;
  }

  async get<T>(key: string): Promise<StateItem<T> | undefined> {
    assertStateKey(key);
    const [row] = await this.sql.query<{ value: T; etag: string }>(
      `select value, etag::text as etag from platform.state_entries where store = ? and key = ? and ${LIVE}`,
      [this.name, this.prefix + key],
    );
    return row ? { key, value: row.value, etag: row.etag } : undefined;
  }

  async getBulk<T>(keys: string[]): Promise<StateItem<T>[]> {
    if (keys.length === 0) return [];
    keys.forEach(assertStateKey);
    const rows = await this.sql.query<{ key: string; value: T; etag: string }>(
      `select key, value, etag::text as etag from platform.state_entries where store = ? and key in (select jsonb_array_elements_text(?::jsonb)) and ${LIVE}`,
      [this.name, JSON.stringify(keys.map((key) => this.prefix + key))],
    );
    return rows.map((row) => ({ key: row.key.slice(this.prefix.length), value: row.value, etag: row.etag }));
  }

  save<T>(key: string, value: T, options?: SaveOptions): Promise<void> {
    return this.sql.transaction((tx) => this.#upsert(tx, key, value, options));
  }

  delete(key: string, options?: { etag?: string }): Promise<void> {
    return this.sql.transaction((tx) => this.#delete(tx, key, options?.etag));
  }

  transact(operations: StateOperation[]): Promise<void> {
    return this.sql.transaction(async (tx) => {
      for (const op of operations) {
        if (op.operation === 'upsert') await this.#upsert(tx, op.key, op.value, op);
        else await this.#delete(tx, op.key, op.etag);
      }
    });
  }

  async #upsert(tx: SqlExecutor, key: string, value: unknown, options?: SaveOptions): Promise<void> {
    assertStateKey(key);
    assertSaveOptions(options);
    const params = [toJson(value), ttl(options), this.name, this.prefix + key];
    if (options?.etag !== undefined) {
      const rows = await tx.query(
        `update platform.state_entries
            set value = ?::jsonb, etag = nextval('platform.state_etag_seq'),
                expires_at = now() + make_interval(secs => ?::int)
          where store = ? and key = ? and etag::text = ? and ${LIVE} returning 1 as ok`,
        [...params, options.etag],
      );
      if (rows.length === 0) throw new EtagMismatchError(key);
      return;
    }
    // With onlyIfAbsent, a conflicting row is replaced only when it has expired (not yet swept).
    const rows = await tx.query(
      `insert into platform.state_entries (value, expires_at, store, key, etag)
       values (?::jsonb, now() + make_interval(secs => ?::int), ?, ?, nextval('platform.state_etag_seq'))
       on conflict (store, key) do update
         set value = excluded.value, expires_at = excluded.expires_at, etag = excluded.etag
         ${options?.onlyIfAbsent ? 'where not (state_entries.expires_at is null or state_entries.expires_at > now())' : ''}
       returning 1 as ok`,
      params,
    );
    if (rows.length === 0) throw new EtagMismatchError(key);
  }

  async #delete(tx: SqlExecutor, key: string, etag: string | undefined): Promise<void> {
    assertStateKey(key);
    if (etag === undefined) {
      await tx.query('delete from platform.state_entries where store = ? and key = ?', [
        this.name,
        this.prefix + key,
      ]);
      return;
    }
    const rows = await tx.query(
      `delete from platform.state_entries where store = ? and key = ? and etag::text = ? and ${LIVE} returning 1 as ok`,
      [this.name, this.prefix + key, etag],
    );
    if (rows.length === 0) throw new EtagMismatchError(key);
  }
}
