/**
 * Runs a platform entry point (common's ENTRY_POINTS) as a child Node process, the way `npm start` and
 * `npm run migrate` do, so the CLI never loads service internals into its own process.
 */
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';

export const REPOSITORY_ROOT = join(import.meta.dirname, '..');

export interface ChildOptions {
  env: NodeJS.ProcessEnv;
  /**
   * `inherit` shares the terminal; `pipe-stdout` lets the caller read stdout, `pipe` also write stdin
   * (stderr stays shared).
   */
  stdio: 'inherit' | 'pipe-stdout' | 'pipe';
  /**
   * Own process group: a terminal's Ctrl-C then reaches only imctl, which forwards it once, so the
   * child sees exactly one SIGINT (a second one would skip its graceful shutdown).
   */
  ownProcessGroup?: boolean;
}

const STDIO: Record<ChildOptions['stdio'], StdioOptions> = {
  inherit: 'inherit',
  'pipe-stdout': ['inherit', 'pipe', 'inherit'],
  pipe: ['pipe', 'pipe', 'inherit'],
};

export function startEntryPoint(script: string, options: ChildOptions): ChildProcess {
  return spawn(process.execPath, [join(REPOSITORY_ROOT, script)], {
    cwd: REPOSITORY_ROOT,
    env: options.env,
    stdio: STDIO[options.stdio],
    detached: options.ownProcessGroup ?? false,
  });
}

/** Forwards SIGINT/SIGTERM/SIGHUP to the child and resolves with its exit code (128+n for a signal). */
export function exitCodeOf(child: ChildProcess): Promise<number> {
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      for (const signal of signals) process.off(signal, forward);
      reject(error);
    });
    child.once('close', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
