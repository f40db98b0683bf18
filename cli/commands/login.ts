import { AdminClient, SecondFactorNeeded } from '../client.ts';
import { defineCommand } from '../command.ts';
import { configPath, readStoredLogin, writeStoredLogin } from '../config-store.ts';
import { ExitCode, usageError } from '../exit-codes.ts';
import { formatDate, print, renderFields } from '../output.ts';
import { ask, interactive, readPassword } from '../prompt.ts';

interface LoginAnswer {
  token: string;
  expiresAt: string;
  admin: { adminId: string; username: string; role: string; permissions?: string[] };
  recoveryCodes?: string[];
}

interface Args {
  username?: string;
  passwordStdin?: boolean;
  otp?: string;
}

/**
 * Logs in; when the server asks for the second factor, shows the secret to enroll (first login)
 * and asks for the authenticator code on a terminal, or says to run again with --otp.
 */
async function logIn(client: AdminClient, body: { username: string; password: string }, args: Args) {
  try {
    return await client.post<LoginAnswer>('/auth/login', { ...body, ...(args.otp ? { otp: args.otp } : {}) });
  } catch (error) {
    if (!(error instanceof SecondFactorNeeded) || args.otp) throw error;
    if (error.enroll) {
      process.stderr.write(
        'Two-factor sign-in is required. Add this key to an authenticator app (or open the link):\n' +
          `  key:  ${error.enroll.secret}\n  link: ${error.enroll.otpauthUri}\n`,
      );
    }
    if (args.passwordStdin || !interactive()) {
      throw new SecondFactorNeeded(undefined);
    }
    const otp = await ask(error.enroll ? 'Code shown by the app' : 'Authenticator or recovery code');
    return client.post<LoginAnswer>('/auth/login', { ...body, otp });
  }
}

export const login = defineCommand<Args>({
  command: 'login',
  describe: 'Log in to the admin API and store the token (file mode 0600)',
  examples: [
    [
      'imctl login --server http://localhost:8080',
      'log in, asking for username, password and authenticator code',
    ],
    [
      'echo "$PASS" | imctl login --username ops --password-stdin --otp 123456',
      'log in from a script with the authenticator code (or a recovery code)',
    ],
    [
      'echo "$PASS" | imctl login --server https://chat.example.com --username ops --password-stdin',
      'log in from a script',
    ],
  ],
  builder: (yargs) =>
    yargs
      .option('username', { alias: 'u', type: 'string', describe: 'Admin username (asked when missing)' })
      .option('password-stdin', { type: 'boolean', describe: 'Read the password from stdin' })
      .option('otp', {
        type: 'string',
        describe: 'Authenticator (TOTP) code or a recovery code (asked on a terminal when needed)',
      }),
  async run(args) {
    const path = configPath(args.config);
    const stored = readStoredLogin(path);
    const server =
      args.server ??
      stored.server ??
      (interactive() ? await ask('Server URL', 'http://localhost:8080') : undefined);
    if (!server) throw usageError('pass --server URL (no terminal to ask on)');
    const client = new AdminClient(server);
    let username = args.username;
    if (!username) {
      if (args.passwordStdin || !interactive())
        throw usageError('pass --username (stdin is not a terminal to ask on)');
      username = await ask('Username', stored.username);
    }
    if (!username) throw usageError('the username must not be empty');
    const password = await readPassword(args.passwordStdin);
    const answer = await logIn(client, { username, password }, args);
    writeStoredLogin(path, {
      server: client.server,
      token: answer.token,
      expiresAt: answer.expiresAt,
      username: answer.admin?.username ?? username,
    });
    // The token itself is never printed: it is in the config file for whoever needs it.
    const summary = {
      server: client.server,
      username: answer.admin?.username ?? username,
      role: answer.admin?.role,
      permissions: answer.admin?.permissions ?? [],
      expiresAt: answer.expiresAt,
      config: path,
      ...(answer.recoveryCodes ? { recoveryCodes: answer.recoveryCodes } : {}),
    };
    print(args.output, summary, (s) =>
      renderFields([
        ['Logged in to', s.server],
        ['As', `${s.username} (${s.role ?? 'unknown role'})`],
        ['Permissions', s.permissions.join(', ')],
        ['Expires', formatDate(s.expiresAt)],
        ['Stored in', s.config],
        ...(s.recoveryCodes
          ? [['Recovery codes (shown once: keep them safe)', s.recoveryCodes.join(' ')] as [string, string]]
          : []),
      ]),
    );
    return ExitCode.ok;
  },
});
