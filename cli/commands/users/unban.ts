import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { print } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  userId: string;
}

export const unbanUser = defineCommand<Args>({
  command: 'unban <userId>',
  describe: 'Lift a ban',
  examples: [['imctl users unban 1850000000000000001', 'let the user log in again']],
  builder: (yargs) => yargs.positional('userId', { type: 'string', describe: 'The user ID' }),
  async run(args) {
    const id = requireId(args.userId, 'userId');
    const answer = await loggedInClient(args).post<{ userId: string; state: string }>(
      `/users/${segment(id)}/unban`,
    );
    print(args.output, answer, (a) => `unbanned ${a.userId ?? id}: now ${a.state ?? 'active'}`);
    return ExitCode.ok;
  },
});
