import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { print } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  key: string;
}

export const unsetConfig = defineCommand<Args>({
  command: 'unset <key>',
  describe: 'Remove a configuration key (back to its default)',
  examples: [['imctl config unset registration.enabled', 'use the default again']],
  builder: (yargs) => yargs.positional('key', { type: 'string', describe: 'The configuration key' }),
  async run(args) {
    const key = requireId(args.key, 'key');
    const answer = await loggedInClient(args).delete<unknown>(`/config/${segment(key)}`);
    print(args.output, answer ?? { key, removed: true }, () => `removed ${key}`);
    return ExitCode.ok;
  },
});
