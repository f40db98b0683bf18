import { expect } from 'chai';
import pg from 'pg';
import {
  type MonthlyPartitionSpec,
  maintainPartitions,
  type SqlExecutor,
} from '../../services/platform/db/index.ts';
import { type Backend, createBackend, requirePostgres } from '../support/backends.ts';

/** A SqlExecutor over one pg client (`?` placeholders as the platform writes them). */
function executor(client: pg.Client): SqlExecutor {
  const self: SqlExecutor = {
    async query(sql, params = []) {
      let n = 0;
      const result = await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params as unknown[],
      );
      return result.rows;
    },
    transaction: (work) => work(self),
  };
  return self;
}

describe('monthly message partitions [postgresql]', () => {
  let backend: Backend | undefined;
  let client: pg.Client;
  let sql: SqlExecutor;
  const spec: MonthlyPartitionSpec = { schema: 'parts', table: 'events', monthsAhead: 2, expired: 'detach' };

  before(async function () {
    await requirePostgres(this);
    backend = await createBackend('postgresql');
    client = new pg.Client({ connectionString: backend.env.DATABASE_URL });
    await client.connect();
    sql = executor(client);
    await client.query('create schema parts');
    await client.query(
      'create table parts.events (id bigint not null, created_at timestamptz not null) partition by range (created_at)',
    );
  });
  after(async () => {
    await client?.end();
    await backend?.dispose();
  });

  it('creates the current month and the months ahead, once', async () => {
    const report = await maintainPartitions(sql, spec, new Date('2026-11-22T10:00:00Z'));
    expect(report.created).to.deep.equal(['events_202611', 'events_202612', 'events_202701']);
    expect(report.partitions.map((p) => p.month)).to.deep.equal(['2026-11', '2026-12', '2027-01']);
    const again = await maintainPartitions(sql, spec, new Date('2026-11-30T10:00:00Z'));
    expect(again.created).to.deep.equal([]);
    await client.query(
      "insert into parts.events values (1, '2026-12-31T23:59:59Z'), (2, '2027-01-01T00:00:00Z')",
    );
    const { rows } = await client.query(
      'select tableoid::regclass::text as part from parts.events order by id',
    );
    expect(rows.map((r) => r.part)).to.deep.equal(['parts.events_202612', 'parts.events_202701']);
  });

  it('keeps everything without a retention, detaches or drops past it when told', async () => {
    const later = new Date('2027-02-10T00:00:00Z');
    expect((await maintainPartitions(sql, spec, later)).detached).to.deep.equal([]);
    const detached = await maintainPartitions(sql, { ...spec, retentionMonths: 2 }, later);
    expect(detached.detached).to.deep.equal(['events_202611', 'events_202612']);
    // Detached partitions are kept as plain tables with their rows.
    const { rows } = await client.query('select count(*)::int as n from parts.events_202612');
    expect(rows[0].n).to.equal(1);
    const dropped = await maintainPartitions(sql, { ...spec, retentionMonths: 1, expired: 'drop' }, later);
    expect(dropped.dropped).to.deep.equal(['events_202701']);
    expect(dropped.partitions.map((p) => p.month)).to.deep.equal(['2027-02', '2027-03', '2027-04']);
  });
});
