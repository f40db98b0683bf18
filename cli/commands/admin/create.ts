import type { AdminAccount } from '../../api-types.ts';
import { defineCommand } from '../../command.ts';
import { configPath, readStoredLogin } from '../../config-store.ts';
import { databaseUrlOption, redacted, requireDatabaseUrl } from '../../database.ts';
import { ExitCode, usageError } from '../../exit-codes.ts';
import { createFirstAdmin } from '../../first-admin.ts';
import { print, renderFields } from '../../output.ts';
import { readPassword } from '../../prompt.ts';
import { loggedInClient } from '../../session.ts';

export const ADMIN_ROLES = ['superadmin', 'operator', 'auditor'] as const;

interface Args {
  username: string;
  role?: string;
  email?: string;
  passwordStdin?: boolean;
  databaseUrl?: string;
}

export const createAdmin = defineCommand<Args>({
  command: 'create',
  describe: 'Create an admin account: directly in the database (the first one) or through the API',
  examples: [
    [
      'imctl admin create --username root --role superadmin --database-url postgres://anychat@localhost/anychat',
      'the first admin, written straight to the database (asks the password)',
    ],
    [
      'echo "$PASS" | imctl admin create --username carol --role auditor --password-stdin',
      'another admin, via the API',
    ],
  ],
  builder: (yargs) =>
    yargs
      .option('username', {
        alias: 'u',
        type: 'string',
        demandOption: true,
        describe: 'Login name of the new admin',
      })
      .option('role', {
        choices: ADMIN_ROLES,
        describe: 'What the admin may do (default: superadmin in the database, operator via the API)',
      })
      .option('email', { type: 'string', describe: 'Contact address' })
      .option('password-stdin', {
        type: 'boolean',
        describe: 'Read the password from stdin (else asked twice)',
      })
      .options(databaseUrlOption),
  async run(args) {
    const username = args.username.trim();
    if (!username) throw usageError('--username must not be empty');
    if (args.email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(args.email))
      throw usageError(`--email "${args.email}" is not an email address`);
    // The database is used when asked for, or when DATABASE_URL is all there is (no login yet).
    const stored = readStoredLogin(configPath(args.config));
    const direct = args.databaseUrl !== undefined || (Boolean(process.env.DATABASE_URL) && !stored.token);
    const client = direct ? undefined : loggedInClient(args);
    const password = await readPassword(args.passwordStdin, true);
    const input = {
      username,
      password,
      role: args.role ?? (direct ? 'superadmin' : 'operator'),
      ...(args.email ? { email: args.email } : {}),
    };
    let created: AdminAccount;
    let via: string;
    if (client) {
      created = await client.post<AdminAccount>('/admins', input);
      via = client.server;
    } else {
      const url = requireDatabaseUrl(args.databaseUrl);
      created = await createFirstAdmin(url, input);
      via = redacted(url);
    }
    print(args.output, created, (a) =>
      renderFields([
        ['Created admin', a.username],
        ['Admin ID', a.adminId],
        ['Role', a.role],
        ['Via', via],
      ]),
    );
    return ExitCode.ok;
  },
});
