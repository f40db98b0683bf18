import { Counter, Gauge } from 'prom-client';
import { listPartitions, type MonthlyPartitionSpec, type SqlExecutor } from '../../common/index.ts';

/** Messages stored, by conversation type and content type (both bounded sets). */
export const messagesStored = new Counter({
  name: 'anychat_messages_stored_total',
  help: 'Messages stored (a retry answered from the first send is not counted again), by conversation and content type',
  labelNames: ['chat_type', 'content_type'] as const,
  registers: [],
});

const monthIndex = (year: number, month: number) => year * 12 + month;

/**
 * The message service's figures: messages stored, and how far ahead `messages` is partitioned
 * (read from the catalog at scrape time, whoever makes the partitions: this service or the operator).
 * A month with no partition refuses every insert into it, so this going under 1 pages someone.
 */
export function messageMetrics(sql: SqlExecutor, spec: MonthlyPartitionSpec) {
  const monthsAhead = new Gauge({
    name: 'anychat_message_partitions_months_ahead',
    help: 'Months after the current one for which the messages table already has a partition (-1: not even the current month)',
    registers: [],
    async collect() {
      const partitions = await listPartitions(sql, spec);
      const now = new Date();
      const current = monthIndex(now.getUTCFullYear(), now.getUTCMonth() + 1);
      const months = new Set(
        partitions.map(({ month }) => monthIndex(Number(month.slice(0, 4)), Number(month.slice(5, 7)))),
      );
      let ahead = -1;
      while (months.has(current + ahead + 1)) ahead++;
      this.set(ahead);
    },
  });
  const target = new Gauge({
    name: 'anychat_message_partitions_months_ahead_target',
    help: 'Months ahead the partition maintenance is set to create (MESSAGE_PARTITION_MONTHS_AHEAD)',
    registers: [],
  });
  target.set(spec.monthsAhead);
  return [messagesStored, monthsAhead, target];
}
