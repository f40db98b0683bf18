/**
 * One PostgreSQL connection for a short piece of work, as imctl and the operator do it (the services
 * pool through their ORM instead): `?` placeholders, transactions, the connection closed afterwards.
 */
import type pg from 'pg';
import type { SqlExecutor } from './sql.ts';

/** `?` placeholders (the platform's SQL style) as pg's numbered ones. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function executorOf(client: pg.Client): SqlExecutor {
  const self: SqlExecutor = {
    query: async (sql, params = []) => (await client.query(numbered(sql), params)).rows,
    transaction: async (work) => {
      await client.query('begin');
      try {
        const result = await work(self);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    },
  };
  return self;
}

export interface PostgresOptions {
  /** How long connecting may take before it fails (default 10 s). */
  connectTimeoutMs?: number;
}

/**
 * Runs `work` on one connection to `url` and closes it. Connection and query failures reach the
 * caller as pg raised them (their `code` is the SQLSTATE or the socket error).
 */
export async function withPostgres<T>(
  url: string,
  work: (sql: SqlExecutor) => Promise<T>,
  options: PostgresOptions = {},
): Promise<T> {
  // Loaded here, not with the module: imctl's other commands start without the driver.
  const { default: driver } = await import('pg');
  const client = new driver.Client({
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle connection dropped by the server emits 'error': without a listener it would crash the process.
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(executorOf(client));
  } finally {
    await client.end().catch(() => {});
  }
}
