import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId, yesOption } from '../../options.ts';
import { print } from '../../output.ts';
import { confirmOrRefuse } from '../../prompt.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  userId: string;
  yes?: boolean;
}

export const deleteUser = defineCommand<Args>({
  command: 'delete <userId>',
  describe: 'Delete a user account (asks first unless --yes)',
  examples: [
    ['imctl users delete 1850000000000000001 --yes', 'delete without asking (scripts must pass --yes)'],
  ],
  builder: (yargs) =>
    yargs.positional('userId', { type: 'string', describe: 'The user ID' }).options(yesOption),
  async run(args) {
    const id = requireId(args.userId, 'userId');
    // Log-in problems surface before the question, not after the operator said yes.
    const client = loggedInClient(args);
    if (!(await confirmOrRefuse(`delete user ${id}?`, args.yes))) return ExitCode.failure;
    await client.delete(`/users/${segment(id)}`);
    print(args.output, { userId: id, deleted: true }, () => `deleted user ${id}`);
    return ExitCode.ok;
  },
});
