import type { CommandGroup } from '../../command.ts';
import { messageHistory } from './history.ts';
import { recallMessage } from './recall.ts';

export const messages: CommandGroup = {
  command: 'messages',
  describe: 'Read conversations and recall messages',
  commands: [messageHistory, recallMessage],
};
