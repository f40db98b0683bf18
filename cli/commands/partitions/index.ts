import type { CommandGroup } from '../../command.ts';
import { ensureMessagePartitions } from './ensure.ts';
import { listMessagePartitions } from './list.ts';

export const partitions: CommandGroup = {
  command: 'partitions',
  describe: 'Monthly partitions of the messages table (straight in the database)',
  commands: [listMessagePartitions, ensureMessagePartitions],
};
