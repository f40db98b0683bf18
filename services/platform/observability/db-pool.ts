import type { MikroORM } from '@mikro-orm/postgresql';
import { Gauge } from 'prom-client';

/** What a metric reads of a `pg` pool. */
interface PoolFigures {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max?: number };
}

type Orms = Array<{ schema: string; orm: MikroORM }>;

/** The ORM's `pg` pool (MikroORM's PostgreSqlConnection hands it out as its native client). */
const poolOf = async (orm: MikroORM): Promise<PoolFigures | undefined> =>
  (await orm.em
    .getConnection()
    .getNativeClient()
    .catch(() => undefined)) as PoolFigures | undefined;

/** A gauge by schema whose samples are read from each pool at scrape time. */
function poolGauge<L extends string>(
  orms: Orms,
  spec: { name: string; help: string; labelNames: readonly L[] },
  read: (pool: PoolFigures, set: (labels: Partial<Record<L, string>>, value: number) => void) => void,
) {
  return new Gauge<L>({
    ...spec,
    registers: [],
    async collect() {
      this.reset();
      for (const { schema, orm } of orms) {
        const pool = await poolOf(orm);
        if (pool) read(pool, (labels, value) => this.set({ schema, ...labels } as Record<L, string>, value));
      }
    },
  });
}

/**
 * Connection pool figures of each service's database (by schema): connections in use and idle,
 * queries waiting for a connection, and the pool's size. A pool that stays full with requests
 * waiting is the database's first sign of saturation.
 */
export function dbPoolMetrics(orms: Orms) {
  return [
    poolGauge(
      orms,
      {
        name: 'anychat_db_pool_connections',
        help: 'Database pool connections by service schema and state (busy | idle)',
        labelNames: ['schema', 'state'] as const,
      },
      (pool, set) => {
        set({ state: 'idle' }, pool.idleCount);
        set({ state: 'busy' }, pool.totalCount - pool.idleCount);
      },
    ),
    poolGauge(
      orms,
      {
        name: 'anychat_db_pool_waiting_requests',
        help: 'Queries waiting for a free database connection, by service schema',
        labelNames: ['schema'] as const,
      },
      (pool, set) => set({}, pool.waitingCount),
    ),
    poolGauge(
      orms,
      {
        name: 'anychat_db_pool_max_connections',
        help: 'Most connections a service schema pool opens (DATABASE_POOL_MAX)',
        labelNames: ['schema'] as const,
      },
      (pool, set) => set({}, pool.options.max ?? 0),
    ),
  ];
}
