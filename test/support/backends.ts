import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/** Where a test's data lives: the machine's PostgreSQL (a fresh database) or embedded PGlite (a fresh directory). */
export interface Backend {
  name: 'postgresql' | 'pglite';
  /** Environment for loadConfig: DATABASE_URL for PostgreSQL, ANYCHAT_DATA_DIR for PGlite. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The machine's PostgreSQL is required in CI. On a laptop without it the PostgreSQL variants are
 * skipped with a loud warning, and the PGlite variants still run.
 */
export async function requirePostgres(context: Mocha.Context): Promise<void> {
  if (await postgresAvailable()) return;
  const message = `PostgreSQL is not reachable at ${ADMIN_URL} (set TEST_POSTGRES_URL)`;
  if (process.env.CI) throw new Error(`${message}: CI must run the PostgreSQL suites`);
  console.warn(`\n  !!! SKIPPING PostgreSQL suite: ${message}\n`);
  context.skip();
}

export async function createBackend(name: Backend['name']): Promise<Backend> {
  if (name === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'anychat-test-'));
    return {
      name,
      env: { ANYCHAT_DATA_DIR: dir },
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const database = `anychat_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database "${database}"`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  // The data directory still holds the embedded file store's objects: one per test, removed after.
  const dir = mkdtempSync(join(tmpdir(), 'anychat-test-'));
  return {
    name,
    env: { DATABASE_URL: url.toString(), ANYCHAT_DATA_DIR: dir },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists "${database}" with (force)`);
      await client.end();
    },
  };
}

/**
 * A PostgreSQL database with the schemas of `services` (comma-separated) migrated by
 * services/migrate.ts, as a cluster's migration Job migrates them (the operator's suites).
 */
export async function migratedDatabase(services: string): Promise<Backend> {
  const backend = await createBackend('postgresql');
  try {
    const root = join(import.meta.dirname, '..', '..');
    await promisify(execFile)(process.execPath, [join(root, 'services/migrate.ts')], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: backend.env.DATABASE_URL, SERVICES: services, LOG_LEVEL: 'warn' },
    });
    return backend;
  } catch (error) {
    await backend.dispose();
    throw error;
  }
}
