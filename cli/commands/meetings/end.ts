import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { print } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  meetingId: string;
  reason?: string;
}

interface EndedMeeting {
  meetingId: string;
  title: string;
  hostId: string;
  participants: number;
}

export const endMeeting = defineCommand<Args>({
  command: 'end <meetingId>',
  describe: 'End a meeting for everyone: its room closes and nobody joins again; audited',
  examples: [
    ['imctl meetings end 1890000000000000001 --reason "abuse report"', 'close a meeting now'],
    ['imctl meetings end 1890000000000000001 -o json', 'the ended meeting as JSON, for scripts'],
  ],
  builder: (yargs) =>
    yargs
      .positional('meetingId', { type: 'string', describe: 'The meeting ID' })
      .option('reason', { alias: 'r', type: 'string', describe: 'Why (shown in the audit log)' }),
  async run(args) {
    const id = requireId(args.meetingId, 'meetingId');
    const ended = await loggedInClient(args).post<EndedMeeting>(
      `/meetings/${segment(id)}/end`,
      args.reason === undefined ? {} : { reason: args.reason },
    );
    print(
      args.output,
      ended,
      (m) => `ended meeting ${m.meetingId} ("${m.title}", host ${m.hostId}); ${m.participants} disconnected`,
    );
    return ExitCode.ok;
  },
});
