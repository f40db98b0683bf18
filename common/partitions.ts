import type { SqlExecutor } from './sql.ts';

/**
 * Monthly range partitions of a table partitioned by a timestamptz column (`messages` by
 * `created_at`, seed §6.6.1). One module for both callers: the embedded host runs it at start and
 * daily; the operator runs it against the cluster's database. It never drops data unless told to.
 */

export interface MonthlyPartitionSpec {
  schema: string;
  table: string;
  /** Months after the current one to create in advance. */
  monthsAhead: number;
  /** Months to keep (the current one included); unset: keep everything. */
  retentionMonths?: number;
  /** What happens to a partition older than the retention: dropped, or detached and kept as a table. */
  expired: 'drop' | 'detach';
}

export interface Partition {
  name: string;
  /** First day of the month, `YYYY-MM`. */
  month: string;
}

export interface PartitionReport {
  created: string[];
  dropped: string[];
  detached: string[];
  partitions: Partition[];
}

const monthStart = (year: number, month: number) => new Date(Date.UTC(year, month, 1));
const label = (date: Date) => `${date.getUTCFullYear()}${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
const quoted = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

export function partitionName(table: string, month: Date): string {
  return `${table}_${label(month)}`;
}

/** Partitions attached to the table, oldest first. */
export async function listPartitions(sql: SqlExecutor, spec: MonthlyPartitionSpec): Promise<Partition[]> {
  const rows = await sql.query<{ name: string }>(
    `select child.relname as name
       from pg_inherits
       join pg_class parent on parent.oid = pg_inherits.inhparent
       join pg_class child on child.oid = pg_inherits.inhrelid
       join pg_namespace ns on ns.oid = parent.relnamespace
      where ns.nspname = ? and parent.relname = ?
      order by child.relname`,
    [spec.schema, spec.table],
  );
  const pattern = new RegExp(`^${spec.table}_(\\d{4})(\\d{2})$`);
  return rows.flatMap(({ name }) => {
    const match = pattern.exec(name);
    return match ? [{ name, month: `${match[1]}-${match[2]}` }] : [];
  });
}

/** Creates the current month and `monthsAhead` following ones where missing. */
export async function ensurePartitions(
  sql: SqlExecutor,
  spec: MonthlyPartitionSpec,
  now = new Date(),
): Promise<string[]> {
  const created: string[] = [];
  for (let offset = 0; offset <= spec.monthsAhead; offset++) {
    const from = monthStart(now.getUTCFullYear(), now.getUTCMonth() + offset);
    const to = monthStart(from.getUTCFullYear(), from.getUTCMonth() + 1);
    const name = partitionName(spec.table, from);
    const [exists] = await sql.query(
      'select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ? and c.relname = ?',
      [spec.schema, name],
    );
    if (exists) continue;
    // Two hosts may race here at start: "if not exists" makes the loser a no-op.
    await sql.query(
      `create table if not exists ${quoted(spec.schema)}.${quoted(name)} partition of ${quoted(spec.schema)}.${quoted(spec.table)}
         for values from ('${from.toISOString()}') to ('${to.toISOString()}')`,
    );
    created.push(name);
  }
  return created;
}

/** Drops or detaches partitions entirely older than the retention window. */
export async function applyRetention(
  sql: SqlExecutor,
  spec: MonthlyPartitionSpec,
  now = new Date(),
): Promise<{ dropped: string[]; detached: string[] }> {
  const result = { dropped: [] as string[], detached: [] as string[] };
  if (spec.retentionMonths === undefined) return result;
  const oldestKept = label(monthStart(now.getUTCFullYear(), now.getUTCMonth() - (spec.retentionMonths - 1)));
  for (const partition of await listPartitions(sql, spec)) {
    if (partition.month.replace('-', '') >= oldestKept) continue;
    const target = `${quoted(spec.schema)}.${quoted(partition.name)}`;
    if (spec.expired === 'drop') {
      await sql.query(`drop table ${target}`);
      result.dropped.push(partition.name);
    } else {
      await sql.query(`alter table ${quoted(spec.schema)}.${quoted(spec.table)} detach partition ${target}`);
      result.detached.push(partition.name);
    }
  }
  return result;
}

/** The whole maintenance pass: create ahead, apply retention, report what exists. */
export async function maintainPartitions(
  sql: SqlExecutor,
  spec: MonthlyPartitionSpec,
  now = new Date(),
): Promise<PartitionReport> {
  const created = await ensurePartitions(sql, spec, now);
  const { dropped, detached } = await applyRetention(sql, spec, now);
  return { created, dropped, detached, partitions: await listPartitions(sql, spec) };
}
