import { defineCommand } from '../../command.ts';
import { ExitCode, usageError } from '../../exit-codes.ts';
import { duration, requireId } from '../../options.ts';
import { formatDate, print } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  userId: string;
  reason: string;
  /** Milliseconds, from `--duration 1h`; absent: until unbanned. */
  duration?: number;
}

interface BanAnswer {
  userId: string;
  state: string;
  reason?: string;
  until?: string | null;
}

export const banUser = defineCommand<Args>({
  command: 'ban <userId>',
  describe: 'Ban a user: their devices are disconnected and logins refused',
  examples: [
    ['imctl users ban 1850000000000000001 --reason spam --duration 7d', 'ban for a week'],
    ['imctl users ban 1850000000000000001 --reason "fraud"', 'ban until unbanned'],
  ],
  builder: (yargs) =>
    yargs
      .positional('userId', { type: 'string', describe: 'The user ID' })
      .option('reason', {
        alias: 'r',
        type: 'string',
        demandOption: true,
        describe: 'Why (shown in the audit log)',
      })
      .option('duration', {
        alias: 'd',
        type: 'string',
        describe: 'How long, e.g. 30m, 1h, 7d (default: until unbanned)',
        coerce: duration('duration'),
      }),
  async run(args) {
    const id = requireId(args.userId, 'userId');
    if (!args.reason.trim()) throw usageError('--reason must not be empty');
    if (args.duration !== undefined && args.duration < 1000)
      throw usageError('--duration must be at least 1s');
    const answer = await loggedInClient(args).post<BanAnswer>(`/users/${segment(id)}/ban`, {
      reason: args.reason,
      ...(args.duration !== undefined ? { durationSeconds: Math.round(args.duration / 1000) } : {}),
    });
    print(
      args.output,
      answer,
      (a) =>
        `banned ${a.userId} ${a.until ? `until ${formatDate(a.until)}` : 'until unbanned'}: ${a.reason ?? args.reason}`,
    );
    return ExitCode.ok;
  },
});
