/**
 * Message-table partitions of a cluster's database, kept with the same module the embedded host uses
 * (services/platform/db/partitions.ts): upcoming months created, retention applied, data dropped
 * only when the spec says drop.
 */
import pg from 'pg';
import { messagePartitionSpec } from '../services/platform/contracts/message.ts';
import { maintainPartitions, type PartitionReport } from '../services/platform/db/partitions.ts';
import type { SqlExecutor } from '../services/platform/db/sql.ts';
import type { ImClusterSpec } from './spec.ts';

/** `?` placeholders (the platform's SQL style) over one pg client. */
function executor(client: pg.Client): SqlExecutor {
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
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

export async function maintainClusterPartitions(
  databaseUrl: string,
  messages: ImClusterSpec['messages'],
): Promise<PartitionReport> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await maintainPartitions(
      executor(client),
      messagePartitionSpec({
        monthsAhead: messages.monthsAhead,
        retentionMonths: messages.retentionMonths,
        expired: messages.expiredPartitions,
      }),
    );
  } finally {
    await client.end();
  }
}
