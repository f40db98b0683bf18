/**
 * Runs imctl (cli/imctl.ts) as a child process, the way an operator or a script does: its own
 * config file (IMCTL_CONFIG), stdin given or closed (never a terminal), stdout and stderr captured.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const IMCTL = join(import.meta.dirname, '..', '..', 'cli', 'imctl.ts');

export interface ImctlResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (the default output when stdout is not a terminal). */
  json<T = unknown>(): T;
}

export interface ImctlOptions {
  /** The login file; default: a fresh one in a new temporary directory (so: not logged in). */
  configPath?: string;
  /** Written to stdin, then closed (e.g. the password for `--password-stdin`). */
  stdin?: string;
  /** Extra environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** A path for a login file in a fresh 0700 temporary directory; the file itself does not exist yet. */
export function tempConfigPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'imctl-test-')), 'config.json');
}

export function imctl(args: string[], options: ImctlOptions = {}): Promise<ImctlResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, IMCTL_CONFIG: options.configPath ?? tempConfigPath() };
  // What a developer's shell may hold must not leak into the command under test.
  delete env.DATABASE_URL;
  delete env.KUBECONFIG;
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [IMCTL, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`imctl ${args.join(' ')} did not finish in ${options.timeoutMs ?? 30_000}ms\n${stderr}`),
      );
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`imctl ${args.join(' ')}: stdout is not JSON:\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * Creates the superadmin `root` straight in the platform's database (as the first admin is made)
 * and logs imctl in as it into `configPath`; fails with imctl's stderr when either step does.
 */
export async function loginAsRoot(
  host: { url: string; databaseUrl: string },
  configPath: string,
  password: string,
): Promise<void> {
  const created = await imctl(
    [
      'admin',
      'create',
      '--username',
      'root',
      '--role',
      'superadmin',
      '--password-stdin',
      '--database-url',
      host.databaseUrl,
    ],
    { stdin: password },
  );
  if (created.code !== 0) throw new Error(`imctl admin create failed: ${created.stderr}`);
  const login = await imctl(['login', '--server', host.url, '--username', 'root', '--password-stdin'], {
    configPath,
    stdin: password,
  });
  if (login.code !== 0) throw new Error(`imctl login failed: ${login.stderr}`);
}
