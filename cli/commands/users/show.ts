import type { UserDetail } from '../../api-types.ts';
import { defineCommand } from '../../command.ts';
import { formatAge } from '../../duration.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { formatDate, print, renderFields, renderTable } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  userId: string;
}

export const showUser = defineCommand<Args>({
  command: 'show <userId>',
  describe: 'Show a user with ban state, devices and presence',
  examples: [['imctl users show 1850000000000000001', 'everything about one user']],
  builder: (yargs) => yargs.positional('userId', { type: 'string', describe: 'The user ID' }),
  async run(args) {
    const id = requireId(args.userId, 'userId');
    const user = await loggedInClient(args).get<UserDetail>(`/users/${segment(id)}`);
    print(args.output, user, (u) => {
      const fields = renderFields([
        ['User ID', u.userId],
        ['Account', u.account],
        ['Nickname', u.nickname],
        ['Phone', u.phoneNumber],
        ['Email', u.email],
        ['State', u.state],
        ['Online', u.online === undefined ? undefined : u.online ? 'yes' : 'no'],
        ['Created', formatDate(u.createdAt)],
        ['Last login', formatDate(u.lastLoginAt)],
        [
          'Ban',
          u.ban
            ? `${u.ban.reason ?? 'no reason'} (until ${u.ban.until ? formatDate(u.ban.until) : 'lifted by hand'}, by ${u.ban.bannedBy ?? '?'})`
            : undefined,
        ],
      ]);
      const devices = u.devices ?? [];
      if (devices.length === 0) return `${fields}\n\nNo devices.`;
      const table = renderTable(devices, [
        { header: 'Device ID', value: (d) => d.deviceId },
        { header: 'Type', value: (d) => d.deviceType },
        { header: 'Last active', value: (d) => formatAge(d.lastActiveAt) },
        { header: 'IP', value: (d) => d.ip },
      ]);
      return `${fields}\n\nDevices:\n${table}`;
    });
    return ExitCode.ok;
  },
});
