import type { ConfigItem } from '../../api-types.ts';
import { itemsOf } from '../../api-types.ts';
import { defineCommand } from '../../command.ts';
import { CliError, ExitCode } from '../../exit-codes.ts';
import { formatDate, print, renderTable } from '../../output.ts';
import { loggedInClient } from '../../session.ts';

interface Args {
  key?: string;
}

export const getConfig = defineCommand<Args>({
  command: 'get [key]',
  describe: 'Show system configuration (all keys, or one)',
  examples: [
    ['imctl config get', 'every key with its value'],
    ['imctl config get registration.enabled -o json', 'one key as JSON'],
  ],
  builder: (yargs) => yargs.positional('key', { type: 'string', describe: 'Only this key' }),
  async run(args) {
    const items = itemsOf(await loggedInClient(args).get<{ items: ConfigItem[] }>('/config'));
    const selected = args.key === undefined ? items : items.filter((item) => item.key === args.key);
    if (args.key !== undefined && selected.length === 0) {
      throw new CliError(
        ExitCode.notFound,
        `no configuration key "${args.key}": \`imctl config get\` lists them`,
      );
    }
    print(args.output, args.key === undefined ? { items } : selected[0], () =>
      renderTable(selected, [
        { header: 'Key', value: (item) => item.key },
        { header: 'Value', value: (item) => JSON.stringify(item.value), maxWidth: 60 },
        { header: 'Updated', value: (item) => formatDate(item.updatedAt) },
        { header: 'By', value: (item) => item.updatedBy },
      ]),
    );
    return ExitCode.ok;
  },
});
