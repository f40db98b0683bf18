import type { MonthlyPartitionSpec } from './partitions.ts';

/** The messages table, range-partitioned by month (seed §6.13): what the partition maintenance works on. */
export const MESSAGE_TABLE = { schema: 'message', table: 'messages' } as const;

/**
 * The monthly partitions of the messages table, one spec for the message service, the operator
 * and imctl. Without a retention every month is kept; past it, `expired` says detach (default) or drop.
 */
export function messagePartitionSpec(options: {
  monthsAhead: number;
  retentionMonths?: number | undefined;
  expired?: 'drop' | 'detach';
}): MonthlyPartitionSpec {
  return {
    ...MESSAGE_TABLE,
    monthsAhead: options.monthsAhead,
    ...(options.retentionMonths ? { retentionMonths: options.retentionMonths } : {}),
    expired: options.expired ?? 'detach',
  };
}
