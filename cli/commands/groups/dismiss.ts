import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId, yesOption } from '../../options.ts';
import { print } from '../../output.ts';
import { confirmOrRefuse } from '../../prompt.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  groupId: string;
  reason?: string;
  yes?: boolean;
}

export const dismissGroup = defineCommand<Args>({
  command: 'dismiss <groupId>',
  describe: 'Dismiss a group for everyone (asks first unless --yes)',
  examples: [
    ['imctl groups dismiss 1860000000000000001 --reason "terms violation" --yes', 'dismiss without asking'],
  ],
  builder: (yargs) =>
    yargs
      .positional('groupId', { type: 'string', describe: 'The group ID' })
      .option('reason', { alias: 'r', type: 'string', describe: 'Why (shown in the audit log)' })
      .options(yesOption),
  async run(args) {
    const id = requireId(args.groupId, 'groupId');
    const client = loggedInClient(args);
    if (!(await confirmOrRefuse(`dismiss group ${id}?`, args.yes))) return ExitCode.failure;
    const answer = await client.post<unknown>(`/groups/${segment(id)}/dismiss`, {
      ...(args.reason ? { reason: args.reason } : {}),
    });
    print(args.output, answer ?? { groupId: id, dismissed: true }, () => `dismissed group ${id}`);
    return ExitCode.ok;
  },
});
