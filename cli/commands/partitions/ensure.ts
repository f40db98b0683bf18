import { maintainPartitions, messagePartitionSpec } from '../../../common/index.ts';
import { defineCommand } from '../../command.ts';
import { databaseUrlOption, requireDatabaseUrl, withDatabase } from '../../database.ts';
import { ExitCode } from '../../exit-codes.ts';
import { integer } from '../../options.ts';
import { print, renderFields } from '../../output.ts';

interface Args {
  databaseUrl?: string;
  monthsAhead: number;
  retentionMonths?: number;
  expired: 'drop' | 'detach';
}

export const ensureMessagePartitions = defineCommand<Args>({
  command: 'ensure',
  describe: 'Create the current and upcoming monthly partitions; apply retention only when asked',
  examples: [
    ['imctl partitions ensure --months-ahead 6', 'six months ahead, nothing removed'],
    [
      'imctl partitions ensure --retention-months 12 --expired detach',
      'also detach months older than a year',
    ],
  ],
  builder: (yargs) =>
    yargs
      .options(databaseUrlOption)
      .option('months-ahead', {
        type: 'string',
        default: '3',
        describe: 'Months after the current one to create (1-24)',
        coerce: integer('months-ahead', 1, 24),
      })
      .option('retention-months', {
        type: 'string',
        describe: 'Keep this many months (current included); older ones are detached or dropped',
        coerce: integer('retention-months', 1, 1200),
      })
      .option('expired', {
        choices: ['detach', 'drop'] as const,
        default: 'detach' as const,
        describe: 'With --retention-months: detach old partitions (kept as tables) or drop them (data lost)',
      }),
  async run(args) {
    const url = requireDatabaseUrl(args.databaseUrl);
    const report = await withDatabase(url, (sql) =>
      maintainPartitions(
        sql,
        messagePartitionSpec({
          monthsAhead: args.monthsAhead,
          ...(args.retentionMonths !== undefined ? { retentionMonths: args.retentionMonths } : {}),
          expired: args.expired,
        }),
      ),
    );
    print(args.output, report, (r) =>
      renderFields([
        ['Created', r.created.join(', ') || 'none'],
        ['Detached', r.detached.join(', ') || 'none'],
        ['Dropped', r.dropped.join(', ') || 'none'],
        ['Partitions', r.partitions.map((p) => p.month).join(', ')],
      ]),
    );
    return ExitCode.ok;
  },
});
