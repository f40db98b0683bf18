import type { GroupDetail } from '../../api-types.ts';
import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { formatDate, print, renderFields, renderTable } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  groupId: string;
}

export const showGroup = defineCommand<Args>({
  command: 'show <groupId>',
  describe: 'Show a group with its announcement and members',
  examples: [['imctl groups show 1860000000000000001', 'a group and its members']],
  builder: (yargs) => yargs.positional('groupId', { type: 'string', describe: 'The group ID' }),
  async run(args) {
    const id = requireId(args.groupId, 'groupId');
    const group = await loggedInClient(args).get<GroupDetail>(`/groups/${segment(id)}`);
    print(args.output, group, (g) => {
      const fields = renderFields([
        ['Group ID', g.groupId],
        ['Name', g.name],
        ['Owner', g.ownerId],
        ['Members', g.memberCount],
        ['Dismissed', g.dismissed ? 'yes' : 'no'],
        ['Created', formatDate(g.createdAt)],
        ['Announcement', g.announcement],
      ]);
      const members = renderTable(g.members ?? [], [
        { header: 'User ID', value: (m) => m.userId },
        { header: 'Role', value: (m) => m.role },
        { header: 'Joined', value: (m) => formatDate(m.joinedAt) },
        { header: 'Muted until', value: (m) => formatDate(m.mutedUntil) },
      ]);
      return `${fields}\n\nMembers:\n${members}`;
    });
    return ExitCode.ok;
  },
});
