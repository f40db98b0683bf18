import type { AdminAccount } from '../../api-types.ts';
import { itemsOf } from '../../api-types.ts';
import { defineCommand } from '../../command.ts';
import { formatAge } from '../../duration.ts';
import { ExitCode } from '../../exit-codes.ts';
import { print, renderTable } from '../../output.ts';
import { loggedInClient } from '../../session.ts';

export const listAdmins = defineCommand<object>({
  command: 'list',
  describe: 'List admin accounts and their roles',
  examples: [['imctl admin list', 'who can operate this platform']],
  async run(args) {
    const answer = await loggedInClient(args).get<{ items: AdminAccount[] } | AdminAccount[]>('/admins');
    print(args.output, answer, (a) =>
      renderTable(itemsOf(a), [
        { header: 'Admin ID', value: (x) => x.adminId },
        { header: 'Username', value: (x) => x.username },
        { header: 'Role', value: (x) => x.role },
        { header: 'Email', value: (x) => x.email },
        { header: 'Created', value: (x) => formatAge(x.createdAt) },
        { header: 'Last login', value: (x) => formatAge(x.lastLoginAt) },
      ]),
    );
    return ExitCode.ok;
  },
});
