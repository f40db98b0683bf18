import type { CommandGroup } from '../../command.ts';
import { banUser } from './ban.ts';
import { deleteUser } from './delete.ts';
import { kickUser } from './kick.ts';
import { listUsers } from './list.ts';
import { showUser } from './show.ts';
import { unbanUser } from './unban.ts';

export const users: CommandGroup = {
  command: 'users',
  describe: 'Find, inspect, ban, kick and delete users',
  commands: [listUsers, showUser, banUser, unbanUser, kickUser, deleteUser],
};
