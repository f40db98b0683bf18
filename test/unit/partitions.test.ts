import { expect } from 'chai';
import {
  type MonthlyPartitionSpec,
  maintainPartitions,
  messagePartitionSpec,
  type SqlExecutor,
  withPostgres,
} from '../../common/index.ts';
import { type Backend, createBackend, requirePostgres } from '../support/backends.ts';

describe('monthly message partitions [postgresql]', () => {
  let backend: Backend | undefined;
  /** On a fresh connection each time, as imctl and the operator connect. */
  const onDatabase = <T>(work: (sql: SqlExecutor) => Promise<T>) =>
    withPostgres(backend!.env.DATABASE_URL!, work);
  const maintain = (spec: MonthlyPartitionSpec, now: Date) =>
    onDatabase((sql) => maintainPartitions(sql, spec, now));
  const spec: MonthlyPartitionSpec = { schema: 'parts', table: 'events', monthsAhead: 2, expired: 'detach' };

  before(async function () {
    await requirePostgres(this);
    backend = await createBackend('postgresql');
    await onDatabase(async (sql) => {
      await sql.query('create schema parts');
      await sql.query(
        'create table parts.events (id bigint not null, created_at timestamptz not null) partition by range (created_at)',
      );
    });
  });
  after(async () => {
    await backend?.dispose();
  });

  it('creates the current month and the months ahead, once', async () => {
    const report = await maintain(spec, new Date('2026-11-22T10:00:00Z'));
    expect(report.created).to.deep.equal(['events_202611', 'events_202612', 'events_202701']);
    expect(report.partitions.map((p) => p.month)).to.deep.equal(['2026-11', '2026-12', '2027-01']);
    const again = await maintain(spec, new Date('2026-11-30T10:00:00Z'));
    expect(again.created).to.deep.equal([]);
    const rows = await onDatabase(async (sql) => {
      await sql.query('insert into parts.events values (?, ?), (?, ?)', [
        1,
        '2026-12-31T23:59:59Z',
        2,
        '2027-01-01T00:00:00Z',
      ]);
      return sql.query<{ part: string }>(
        'select tableoid::regclass::text as part from parts.events order by id',
      );
    });
    expect(rows.map((r) => r.part)).to.deep.equal(['parts.events_202612', 'parts.events_202701']);
  });

  it('keeps everything without a retention, detaches or drops past it when told', async () => {
    const later = new Date('2027-02-10T00:00:00Z');
    expect((await maintain(spec, later)).detached).to.deep.equal([]);
    const detached = await maintain({ ...spec, retentionMonths: 2 }, later);
    expect(detached.detached).to.deep.equal(['events_202611', 'events_202612']);
    // Detached partitions are kept as plain tables with their rows.
    const [kept] = await onDatabase((sql) =>
      sql.query<{ n: number }>('select count(*)::int as n from parts.events_202612'),
    );
    expect(kept?.n).to.equal(1);
    const dropped = await maintain({ ...spec, retentionMonths: 1, expired: 'drop' }, later);
    expect(dropped.dropped).to.deep.equal(['events_202701']);
    expect(dropped.partitions.map((p) => p.month)).to.deep.equal(['2027-02', '2027-03', '2027-04']);
  });
});

describe('the message partition spec', () => {
  it('keeps every month unless a retention is given, and detaches by default', () => {
    expect(messagePartitionSpec({ monthsAhead: 3 })).to.deep.equal({
      schema: 'message',
      table: 'messages',
      monthsAhead: 3,
      expired: 'detach',
    });
    expect(messagePartitionSpec({ monthsAhead: 1, retentionMonths: 12, expired: 'drop' })).to.include({
      retentionMonths: 12,
      expired: 'drop',
    });
  });
});
