/**
 * Counts the PostgreSQL connections a test process's databases hold, sampled from pg_stat_activity
 * while the test runs: what the pools of services and sidecars really open, apart from whatever
 * else uses the same server. Every test database is named `anychat_test_<pid>_…` (backends.ts).
 */
import pg from 'pg';
import { ADMIN_URL } from './backends.ts';

export interface ConnectionSampler {
  /** The most connections seen at once so far. */
  peak(): number;
  /** Ends the sampling and returns the peak. */
  stop(): Promise<number>;
}

/** Samples the connections to this process's test databases every `intervalMs` until stopped. */
export async function sampleTestDatabaseConnections(intervalMs = 100): Promise<ConnectionSampler> {
  const client = new pg.Client({
    connectionString: ADMIN_URL,
    application_name: 'anychat-connection-sampler',
  });
  await client.connect();
  const pattern = `anychat\\_test\\_${process.pid}\\_%`;
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ count: number }>(
        'select count(*)::int as count from pg_stat_activity where datname like $1',
        [pattern],
      );
      peak = Math.max(peak, rows[0]!.count);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  // Handled here so that a failure waits for stop() instead of crashing the run as unhandled.
  loop.catch(() => {});
  return {
    peak: () => peak,
    /** Ends the sampling; fails if sampling itself failed (a peak from a broken sampler means nothing). */
    async stop() {
      running = false;
      try {
        await loop;
      } finally {
        await client.end().catch(() => {});
      }
      return peak;
    },
  };
}
