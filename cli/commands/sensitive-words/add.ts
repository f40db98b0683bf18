import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { loggedInClient } from '../../session.ts';
import { cleanWords, printWords, readWords, writeWords } from './words.ts';

interface Args {
  words: string[];
}

export const addWords = defineCommand<Args>({
  command: 'add <words..>',
  describe: 'Add words to the list',
  examples: [['imctl sensitive-words add scam "free money"', 'two more entries']],
  builder: (yargs) => yargs.positional('words', { type: 'string', array: true, describe: 'Words to add' }),
  async run(args) {
    const added = cleanWords(args.words);
    const client = loggedInClient(args);
    // Read-modify-write of the whole list: the API has no per-word route; last writer wins.
    const current = await readWords(client);
    printWords(args.output, await writeWords(client, [...current.words, ...added], current.action));
    return ExitCode.ok;
  },
});
