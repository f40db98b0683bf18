import type { CommandGroup } from '../../command.ts';
import { getConfig } from './get.ts';
import { setConfig } from './set.ts';
import { unsetConfig } from './unset.ts';

export const config: CommandGroup = {
  command: 'config',
  describe: 'Read and change system configuration',
  commands: [getConfig, setConfig, unsetConfig],
};
