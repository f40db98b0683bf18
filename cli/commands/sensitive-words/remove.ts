import { defineCommand } from '../../command.ts';
import { CliError, ExitCode } from '../../exit-codes.ts';
import { loggedInClient } from '../../session.ts';
import { cleanWords, printWords, readWords, writeWords } from './words.ts';

interface Args {
  words: string[];
}

export const removeWords = defineCommand<Args>({
  command: 'remove <words..>',
  describe: 'Remove words from the list',
  examples: [['imctl sensitive-words remove "free money"', 'take an entry out']],
  builder: (yargs) => yargs.positional('words', { type: 'string', array: true, describe: 'Words to remove' }),
  async run(args) {
    const removed = new Set(cleanWords(args.words));
    const client = loggedInClient(args);
    const current = await readWords(client);
    const missing = [...removed].filter((word) => !current.words.includes(word));
    if (missing.length === removed.size)
      throw new CliError(
        ExitCode.notFound,
        `not in the list: ${missing.join(', ')}; \`imctl sensitive-words show\` lists it`,
      );
    if (missing.length) process.stderr.write(`imctl: not in the list, skipped: ${missing.join(', ')}\n`);
    const kept = current.words.filter((word) => !removed.has(word));
    printWords(args.output, await writeWords(client, kept, current.action));
    return ExitCode.ok;
  },
});
