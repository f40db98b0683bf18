import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { print } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  messageId: string;
  reason?: string;
}

export const recallMessage = defineCommand<Args>({
  command: 'recall <messageId>',
  describe: 'Recall a message for everyone in its conversation (no time limit for admins)',
  examples: [['imctl messages recall 1870000000000000001 --reason "leaked address"', 'take a message back']],
  builder: (yargs) =>
    yargs
      .positional('messageId', { type: 'string', describe: 'The message ID' })
      .option('reason', { alias: 'r', type: 'string', describe: 'Why (shown in the audit log)' }),
  async run(args) {
    const id = requireId(args.messageId, 'messageId');
    const answer = await loggedInClient(args).post<{ messageId: string; sessionId?: string }>(
      `/messages/${segment(id)}/recall`,
      { ...(args.reason ? { reason: args.reason } : {}) },
    );
    print(
      args.output,
      answer,
      (a) => `recalled ${a.messageId ?? id}${a.sessionId ? ` in ${a.sessionId}` : ''}`,
    );
    return ExitCode.ok;
  },
});
