/**
 * The message table's partitions, named as the message service creates them
 * (services/message/index.ts: schema `message`, table `messages`, monthly by `created_at`).
 */
import type { MonthlyPartitionSpec } from '../../../services/platform/db/partitions.ts';

export const MESSAGE_PARTITIONS = { schema: 'message', table: 'messages' } as const;

export function messagePartitionSpec(options: {
  monthsAhead: number;
  retentionMonths?: number;
  expired?: 'drop' | 'detach';
}): MonthlyPartitionSpec {
  return {
    ...MESSAGE_PARTITIONS,
    monthsAhead: options.monthsAhead,
    ...(options.retentionMonths !== undefined ? { retentionMonths: options.retentionMonths } : {}),
    expired: options.expired ?? 'detach',
  };
}
