import type { MikroORM } from '@mikro-orm/postgresql';
import { Gauge } from 'prom-client';

/** What a metric reads of a `pg` pool. */
interface PoolFigures {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max?: number };
}

/**
 * Connection pool figures of each service's database (by schema): connections in use and idle,
 * queries waiting for a connection, and the pool's size. A pool that stays full with requests
 * waiting is the database's first sign of saturation.
 */
export function dbPoolMetrics(orms: Array<{ schema: string; orm: MikroORM }>) {
  // The ORM's `pg` pool (MikroORM's PostgreSqlConnection hands it out as its native client).
  const poolOf = async (orm: MikroORM): Promise<PoolFigures | undefined> =>
    (await orm.em
      .getConnection()
      .getNativeClient()
      .catch(() => undefined)) as PoolFigures | undefined;
  const connections = new Gauge({
    name: 'anychat_db_pool_connections',
    help: 'Database pool connections by service schema and state (busy | idle)',
    labelNames: ['schema', 'state'] as const,
    registers: [],
    async collect() {
      this.reset();
      for (const { schema, orm } of orms) {
        const pool = await poolOf(orm);
        if (!pool) continue;
        this.set({ schema, state: 'idle' }, pool.idleCount);
        this.set({ schema, state: 'busy' }, pool.totalCount - pool.idleCount);
      }
    },
  });
  const waiting = new Gauge({
    name: 'anychat_db_pool_waiting_requests',
    help: 'Queries waiting for a free database connection, by service schema',
    labelNames: ['schema'] as const,
    registers: [],
    async collect() {
      this.reset();
      for (const { schema, orm } of orms) {
        const pool = await poolOf(orm);
        if (pool) this.set({ schema }, pool.waitingCount);
      }
    },
  });
  const size = new Gauge({
    name: 'anychat_db_pool_max_connections',
    help: 'Most connections a service schema pool opens (DATABASE_POOL_MAX)',
    labelNames: ['schema'] as const,
    registers: [],
    async collect() {
      this.reset();
      for (const { schema, orm } of orms) {
        const pool = await poolOf(orm);
        if (pool) this.set({ schema }, pool.options.max ?? 0);
      }
    },
  });
  return [connections, waiting, size];
}
