import type { CommandGroup } from '../../command.ts';
import { addWords } from './add.ts';
import { removeWords } from './remove.ts';
import { setWords } from './set.ts';
import { showWords } from './show.ts';

export const sensitiveWords: CommandGroup = {
  command: 'sensitive-words',
  describe: 'The words filtered out of messages',
  commands: [showWords, setWords, addWords, removeWords],
};
