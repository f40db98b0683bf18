import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { print } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  fileId: string;
  reason?: string;
}

export const deleteFile = defineCommand<Args>({
  command: 'delete <fileId>',
  describe: 'Delete a file (moderation): nobody can download it any more; audited',
  examples: [['imctl files delete 1880000000000000001 --reason "illegal content"', 'take a file down']],
  builder: (yargs) =>
    yargs
      .positional('fileId', { type: 'string', describe: 'The file ID' })
      .option('reason', { alias: 'r', type: 'string', describe: 'Why (shown in the audit log)' }),
  async run(args) {
    const id = requireId(args.fileId, 'fileId');
    const answer = await loggedInClient(args).request<{ fileId: string; ownerId: string; fileName: string }>(
      'DELETE',
      `/files/${segment(id)}`,
      { query: { reason: args.reason } },
    );
    print(args.output, answer, (a) => `deleted ${a.fileId} (${a.fileName}) of user ${a.ownerId}`);
    return ExitCode.ok;
  },
});
