import type { GroupItem, Page } from '../../api-types.ts';
import { defineCommand } from '../../command.ts';
import { formatAge } from '../../duration.ts';
import { ExitCode } from '../../exit-codes.ts';
import { pageOptions } from '../../options.ts';
import { print, renderTable } from '../../output.ts';
import { loggedInClient } from '../../session.ts';

interface Args {
  keyword?: string;
  page?: number;
  pageSize?: number;
}

export const listGroups = defineCommand<Args>({
  command: 'list',
  describe: 'List groups, newest first',
  examples: [['imctl groups list --keyword football', 'groups whose name or ID matches']],
  builder: (yargs) =>
    yargs
      .option('keyword', { alias: 'k', type: 'string', describe: 'Match group name or ID' })
      .options(pageOptions),
  async run(args) {
    const page = await loggedInClient(args).get<Page<GroupItem>>('/groups', {
      keyword: args.keyword,
      page: args.page,
      pageSize: args.pageSize,
    });
    print(args.output, page, ({ items, total }) => {
      const table = renderTable(items, [
        { header: 'Group ID', value: (g) => g.groupId },
        { header: 'Name', value: (g) => g.name, maxWidth: 30 },
        { header: 'Owner', value: (g) => g.ownerId },
        { header: 'Members', value: (g) => g.memberCount },
        { header: 'Dismissed', value: (g) => (g.dismissed ? 'yes' : 'no') },
        { header: 'Created', value: (g) => formatAge(g.createdAt) },
      ]);
      return `${table}\n${items.length} of ${total ?? items.length} groups`;
    });
    return ExitCode.ok;
  },
});
