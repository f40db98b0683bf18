import { listPartitions, MESSAGE_TABLE, messagePartitionSpec } from '../../../common/index.ts';
import { defineCommand } from '../../command.ts';
import { databaseUrlOption, requireDatabaseUrl, withDatabase } from '../../database.ts';
import { ExitCode } from '../../exit-codes.ts';
import { print, renderTable } from '../../output.ts';

interface Args {
  databaseUrl?: string;
}

export const listMessagePartitions = defineCommand<Args>({
  command: 'list',
  describe: 'List the monthly partitions of the messages table',
  examples: [
    ['imctl partitions list --database-url postgres://anychat@localhost/anychat', 'one row per month'],
  ],
  builder: (yargs) => yargs.options(databaseUrlOption),
  async run(args) {
    const url = requireDatabaseUrl(args.databaseUrl);
    const partitions = await withDatabase(url, (sql) =>
      listPartitions(sql, messagePartitionSpec({ monthsAhead: 0 })),
    );
    const table = `${MESSAGE_TABLE.schema}.${MESSAGE_TABLE.table}`;
    if (partitions.length === 0)
      process.stderr.write(
        `imctl: ${table} has no partitions: run \`imctl migrate\`, then \`imctl partitions ensure\`\n`,
      );
    print(args.output, { table, partitions }, (r) =>
      renderTable(r.partitions, [
        { header: 'Partition', value: (p) => p.name },
        { header: 'Month', value: (p) => p.month },
      ]),
    );
    return ExitCode.ok;
  },
});
