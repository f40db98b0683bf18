import type { Page, UserItem } from '../../api-types.ts';
import { defineCommand } from '../../command.ts';
import { formatAge } from '../../duration.ts';
import { ExitCode } from '../../exit-codes.ts';
import { pageOptions } from '../../options.ts';
import { print, renderTable } from '../../output.ts';
import { loggedInClient } from '../../session.ts';

export const USER_STATES = ['active', 'banned', 'frozen', 'deleted'] as const;

interface Args {
  keyword?: string;
  state?: string;
  page?: number;
  pageSize?: number;
}

export const listUsers = defineCommand<Args>({
  command: 'list',
  describe: 'List users, newest first',
  examples: [
    ['imctl users list --keyword alice', 'find users by account, nickname, phone or email'],
    ['imctl users list --state banned --page-size 50', 'banned users, 50 per page'],
  ],
  builder: (yargs) =>
    yargs
      .option('keyword', { alias: 'k', type: 'string', describe: 'Match account, nickname, phone or email' })
      .option('state', { type: 'string', choices: USER_STATES, describe: 'Only users in this state' })
      .options(pageOptions),
  async run(args) {
    const page = await loggedInClient(args).get<Page<UserItem>>('/users', {
      keyword: args.keyword,
      state: args.state,
      page: args.page,
      pageSize: args.pageSize,
    });
    print(args.output, page, ({ items, total }) => {
      const table = renderTable(items, [
        { header: 'User ID', value: (u) => u.userId },
        { header: 'Account', value: (u) => u.account },
        { header: 'Nickname', value: (u) => u.nickname, maxWidth: 24 },
        { header: 'State', value: (u) => u.state },
        { header: 'Created', value: (u) => formatAge(u.createdAt) },
        { header: 'Last login', value: (u) => formatAge(u.lastLoginAt) },
      ]);
      return `${table}\n${items.length} of ${total ?? items.length} users`;
    });
    return ExitCode.ok;
  },
});
