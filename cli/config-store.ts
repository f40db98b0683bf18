/**
 * The stored login: `$IMCTL_CONFIG`, else `${XDG_CONFIG_HOME:-~/.config}/imctl/config.json`. It
 * holds a bearer token, so the directory is created 0700 and the file 0600 from the start (a new
 * file is written and renamed over the old one, so the mode is never wider, not even briefly).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, ExitCode } from './exit-codes.ts';

export interface StoredLogin {
  server?: string;
  token?: string;
  /** ISO date the admin token stops working. */
  expiresAt?: string;
  username?: string;
}

export function configPath(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.IMCTL_CONFIG) return process.env.IMCTL_CONFIG;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'imctl', 'config.json');
}

export function readStoredLogin(path: string): StoredLogin {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(ExitCode.failure, `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as StoredLogin) : {};
  } catch {
    throw new CliError(
      ExitCode.failure,
      `${path} is not valid JSON: fix or delete it, then run \`imctl login\``,
    );
  }
}

export function writeStoredLogin(path: string, login: StoredLogin): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new CliError(ExitCode.failure, `cannot write ${path}: ${(error as Error).message}`);
  }
}
