import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { loggedInClient } from '../../session.ts';
import { cleanWords, FILTER_ACTIONS, printWords, readWords, writeWords } from './words.ts';

interface Args {
  words: string[];
  action?: string;
}

export const setWords = defineCommand<Args>({
  command: 'set <words..>',
  describe: 'Replace the whole list (and optionally the action)',
  examples: [
    ['imctl sensitive-words set scam fraud --action reject', 'messages with these words are refused'],
  ],
  builder: (yargs) =>
    yargs.positional('words', { type: 'string', array: true, describe: 'The new list' }).option('action', {
      choices: FILTER_ACTIONS,
      describe: 'mask the words, or reject the message (default: keep)',
    }),
  async run(args) {
    const words = cleanWords(args.words);
    const client = loggedInClient(args);
    const action = args.action ?? (await readWords(client)).action;
    printWords(args.output, await writeWords(client, words, action));
    return ExitCode.ok;
  },
});
