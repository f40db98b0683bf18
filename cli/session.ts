/**
 * Which server a command talks to and with which token: `--server` wins over the stored login, and
 * the stored token is only sent to the server it was issued by.
 */
import { AdminClient, normalizeServer } from './client.ts';
import type { GlobalArgs } from './command.ts';
import { configPath, readStoredLogin } from './config-store.ts';
import { CliError, ExitCode } from './exit-codes.ts';

export function loggedInClient(args: GlobalArgs): AdminClient {
  const stored = readStoredLogin(configPath(args.config));
  const chosen = args.server ?? stored.server;
  if (!chosen) throw new CliError(ExitCode.auth, 'not logged in: run `imctl login --server URL`');
  const server = normalizeServer(chosen);
  const sameServer = stored.server !== undefined && normalizeServer(stored.server) === server;
  if (!stored.token || !sameServer) {
    throw new CliError(ExitCode.auth, `not logged in to ${server}: run \`imctl login --server ${server}\``);
  }
  if (stored.expiresAt && new Date(stored.expiresAt).getTime() <= Date.now()) {
    throw new CliError(
      ExitCode.auth,
      `login to ${server} expired at ${stored.expiresAt}: run \`imctl login --server ${server}\``,
    );
  }
  return new AdminClient(server, stored.token);
}

/** Path segments are ids typed by people: encode them so `a/b` cannot reach another route. */
export const segment = (value: string | number) => encodeURIComponent(String(value));
