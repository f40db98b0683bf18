import type { PushTestResult } from '../../api-types.ts';
import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { print, renderTable } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  userId: string;
}

export const pushTest = defineCommand<Args>({
  command: 'test <userId>',
  describe:
    "Send a test push to each of a user's registered devices (connected or not) and show what each came to",
  examples: [['imctl push test 1850000000000000001', 'is offline push working for this user?']],
  builder: (yargs) => yargs.positional('userId', { type: 'string', describe: 'The user ID' }),
  async run(args) {
    const id = requireId(args.userId, 'userId');
    const answer = await loggedInClient(args).post<{ results: PushTestResult[] }>(
      `/users/${segment(id)}/push-test`,
    );
    print(args.output, answer, (a) =>
      a.results.length === 0
        ? `user ${id} has no push registration`
        : renderTable(a.results, [
            { header: 'Device', value: (r) => r.deviceId },
            { header: 'Provider', value: (r) => r.provider },
            { header: 'Status', value: (r) => r.status },
            { header: 'Error', value: (r) => r.error ?? '' },
          ]),
    );
    // A script can tell "no device got it" apart from success.
    return answer.results.some((r) => r.status === 'success') ? ExitCode.ok : ExitCode.failure;
  },
});
