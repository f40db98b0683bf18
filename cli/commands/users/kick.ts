import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { print } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  userId: string;
}

export const kickUser = defineCommand<Args>({
  command: 'kick <userId>',
  describe: 'Disconnect every device of a user and revoke their tokens (they may log in again)',
  examples: [['imctl users kick 1850000000000000001', 'force a user to log in again']],
  builder: (yargs) => yargs.positional('userId', { type: 'string', describe: 'The user ID' }),
  async run(args) {
    const id = requireId(args.userId, 'userId');
    const answer = await loggedInClient(args).post<{ devices?: unknown }>(`/users/${segment(id)}/kick`);
    print(args.output, answer, (a) => {
      const devices = Array.isArray(a?.devices) ? a.devices.length : a?.devices;
      return `kicked ${id}: ${devices ?? 0} device(s) disconnected`;
    });
    return ExitCode.ok;
  },
});
