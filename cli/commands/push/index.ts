import type { CommandGroup } from '../../command.ts';
import { pushTest } from './test.ts';

export const push: CommandGroup = {
  command: 'push',
  describe: 'Offline push: test delivery to a user',
  commands: [pushTest],
};
