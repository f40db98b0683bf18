import type { CommandGroup } from '../../command.ts';
import { createAdmin } from './create.ts';
import { listAdmins } from './list.ts';

export const admin: CommandGroup = {
  command: 'admin',
  describe: 'Admin accounts (the first one is created straight in the database)',
  commands: [createAdmin, listAdmins],
};
