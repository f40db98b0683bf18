import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { loggedInClient } from '../../session.ts';
import { printWords, readWords } from './words.ts';

export const showWords = defineCommand<object>({
  command: 'show',
  describe: 'Show the sensitive words and what happens to messages containing them',
  examples: [['imctl sensitive-words show', 'the list and its action']],
  async run(args) {
    printWords(args.output, await readWords(loggedInClient(args)));
    return ExitCode.ok;
  },
});
