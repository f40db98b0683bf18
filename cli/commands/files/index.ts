import type { CommandGroup } from '../../command.ts';
import { deleteFile } from './delete.ts';
import { fileStats } from './stats.ts';

export const files: CommandGroup = {
  command: 'files',
  describe: 'Storage use and file moderation',
  commands: [fileStats, deleteFile],
};
