import { AdminClient } from '../client.ts';
import { defineCommand, reportError } from '../command.ts';
import { configPath, readStoredLogin, writeStoredLogin } from '../config-store.ts';
import { ExitCode } from '../exit-codes.ts';
import { print } from '../output.ts';

export const logout = defineCommand<object>({
  command: 'logout',
  describe: 'Revoke the stored token on the server and forget it',
  examples: [['imctl logout', 'end the session of the stored login']],
  async run(args) {
    const path = configPath(args.config);
    const stored = readStoredLogin(path);
    if (!stored.token || !stored.server) {
      print(args.output, { loggedOut: false, reason: 'not logged in' }, () => 'not logged in: nothing to do');
      return ExitCode.ok;
    }
    let revoked = true;
    try {
      await new AdminClient(stored.server, stored.token).post('/auth/logout');
    } catch (error) {
      // The local token is forgotten anyway: an expired or unreachable server must not keep it here.
      revoked = false;
      reportError(error);
      process.stderr.write('imctl: the token could not be revoked on the server; forgetting it locally\n');
    }
    const { token: _token, expiresAt: _expiresAt, ...rest } = stored;
    writeStoredLogin(path, rest);
    print(
      args.output,
      { loggedOut: true, revoked, server: stored.server },
      (r) => `logged out of ${r.server}`,
    );
    return ExitCode.ok;
  },
});
