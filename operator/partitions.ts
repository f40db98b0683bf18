/**
 * Message-table partitions of a cluster's database, kept with the same module the embedded host uses
 * (common/partitions.ts): upcoming months created, retention applied, data dropped only when the
 * spec says drop.
 */
import {
  maintainPartitions,
  messagePartitionSpec,
  type PartitionReport,
  withPostgres,
} from '../common/index.ts';
import type { ImClusterSpec } from './spec.ts';

export function maintainClusterPartitions(
  databaseUrl: string,
  messages: ImClusterSpec['messages'],
): Promise<PartitionReport> {
  return withPostgres(
    databaseUrl,
    (sql) =>
      maintainPartitions(
        sql,
        messagePartitionSpec({
          monthsAhead: messages.monthsAhead,
          retentionMonths: messages.retentionMonths,
          expired: messages.expiredPartitions,
        }),
      ),
    { connectTimeoutMs: 5_000 },
  );
}
