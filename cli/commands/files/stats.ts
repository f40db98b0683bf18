import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { print, renderFields, renderTable } from '../../output.ts';
import { loggedInClient } from '../../session.ts';

interface Args {
  user?: string;
}

interface FileStats {
  files: number;
  bytes: number;
  storedBytes: number;
  kinds: Array<{ kind: string; files: number; bytes: number }>;
}

const MB = 1024 * 1024;
const size = (bytes: number) => (bytes >= MB ? `${(bytes / MB).toFixed(1)} MiB` : `${bytes} B`);

export const fileStats = defineCommand<Args>({
  command: 'stats',
  describe: 'Storage use: in total, or of one user',
  examples: [
    ['imctl files stats', 'files and bytes of everyone, by kind'],
    ['imctl files stats --user 1850000000000000001', "one user's files"],
  ],
  builder: (yargs) => yargs.option('user', { alias: 'u', type: 'string', describe: 'A user ID' }),
  async run(args) {
    const userId = args.user === undefined ? undefined : requireId(args.user, 'user');
    const stats = await loggedInClient(args).get<FileStats>('/files/stats', userId ? { userId } : {});
    print(args.output, stats, (s) =>
      [
        renderFields([
          ['Files', s.files],
          ['Size', size(s.bytes)],
          ...(userId ? [] : ([['Stored (deduplicated)', size(s.storedBytes)]] as const)),
        ]),
        renderTable(s.kinds, [
          { header: 'Kind', value: (k) => k.kind },
          { header: 'Files', value: (k) => k.files },
          { header: 'Size', value: (k) => size(k.bytes) },
        ]),
      ].join('\n\n'),
    );
    return ExitCode.ok;
  },
});
