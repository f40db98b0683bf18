import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { print } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  groupId: string;
  userId: string;
}

export const removeGroupMember = defineCommand<Args>({
  command: 'remove-member <groupId> <userId>',
  describe: 'Remove a member from a group',
  examples: [
    ['imctl groups remove-member 1860000000000000001 1850000000000000001', 'take a user out of a group'],
  ],
  builder: (yargs) =>
    yargs
      .positional('groupId', { type: 'string', describe: 'The group ID' })
      .positional('userId', { type: 'string', describe: 'The member to remove' }),
  async run(args) {
    const groupId = requireId(args.groupId, 'groupId');
    const userId = requireId(args.userId, 'userId');
    const answer = await loggedInClient(args).delete<unknown>(
      `/groups/${segment(groupId)}/members/${segment(userId)}`,
    );
    print(
      args.output,
      answer ?? { groupId, userId, removed: true },
      () => `removed ${userId} from group ${groupId}`,
    );
    return ExitCode.ok;
  },
});
