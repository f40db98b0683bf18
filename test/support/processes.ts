/**
 * Processes the tests start (the platform, daprd, etcd, kube-apiserver, imctl): free ports, logs and
 * their tails, waiting for a process to serve, and stopping it. Every process started here is killed
 * when the test process exits, however it exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { eventually } from './eventually.ts';

const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port below the kernel's ephemeral range (32768+), so that no outbound connection
 * (to PostgreSQL, Redis, NATS…) takes it between this check and the process that binds it; never the
 * same port twice in one test process.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await bindable(port)) return port;
  }
}

/** The last lines of a log file, for a failure message. */
export function tail(path: string, lines = 25): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Every process this test process started: killed when it exits, however it exits. */
const children = new Set<ChildProcess>();
const killChildren = () => {
  for (const child of children) child.kill('SIGKILL');
};
process.once('exit', killChildren);
// A test run stopped from outside ('exit' does not fire on a signal) still takes its processes down.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.once(signal, () => {
    killChildren();
    process.exit(code);
  });

export function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Starts a tracked process whose stdout and stderr go to `logFile` (appended). */
export function spawnLogged(
  command: string,
  args: string[],
  options: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): ChildProcess {
  const log = openSync(options.logFile, 'a');
  try {
    return track(
      spawn(command, args, {
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.env ? { env: options.env } : {}),
        stdio: ['ignore', log, log],
      }),
    );
  } finally {
    closeSync(log);
  }
}

/** Resolves once the process has exited (at once if it already has, or never started). */
export function exited(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Sends `signal` to each process (in the order given), waits for all of them, and kills with SIGKILL
 * any still running after `graceMs`.
 */
export async function stopProcesses(
  processes: Array<ChildProcess | undefined>,
  { signal = 'SIGTERM', graceMs = 10_000 }: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<void> {
  for (const child of processes) child?.kill(signal);
  const killer = setTimeout(() => {
    for (const child of processes) child?.kill('SIGKILL');
  }, graceMs);
  try {
    await Promise.all(processes.map(exited));
  } finally {
    clearTimeout(killer);
  }
}

/** Stops one process (SIGTERM by default) and answers its exit code: null when a signal ended it. */
export async function stopProcess(
  child: ChildProcess,
  options: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<number | null> {
  await stopProcesses([child], options);
  return child.exitCode;
}

/** Everything a process writes to its piped stdout and stderr, as it comes. */
export class CapturedOutput {
  #text = '';
  readonly #child: ChildProcess;

  /** `echo`: also written there as it comes (a benchmark showing the platform's warnings). */
  constructor(child: ChildProcess, echo?: NodeJS.WritableStream) {
    this.#child = child;
    for (const stream of [child.stdout, child.stderr])
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        this.#text += chunk;
        echo?.write(chunk);
      });
  }

  get text(): string {
    return this.#text;
  }

  /**
   * Waits until the output matches `pattern` (answering the match); fails with the output when the
   * process ends first or `timeoutMs` passes. Call it before the process can have ended.
   */
  waitFor(pattern: RegExp, timeoutMs = 90_000): Promise<RegExpExecArray> {
    const child = this.#child;
    return new Promise((resolve, reject) => {
      const streams = [child.stdout, child.stderr];
      const done = () => {
        clearTimeout(timer);
        for (const stream of streams) stream?.off('data', check);
        child.off('close', onExit);
      };
      const check = () => {
        const match = pattern.exec(this.#text);
        if (match) {
          done();
          resolve(match);
        }
        return match;
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        if (check()) return;
        done();
        reject(new Error(`exited (${code ?? signal}) before printing ${pattern}:\n${this.#text}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`nothing matching ${pattern} within ${timeoutMs / 1000} s:\n${this.#text}`));
      }, timeoutMs);
      // Registered after the constructor's listeners: the text already holds the chunk. 'close'
      // comes after the last output, 'exit' may come before it.
      for (const stream of streams) stream?.on('data', check);
      child.once('close', onExit);
      check();
    });
  }
}

/** Waits for a process to end: its exit code (null when a signal ended it) and all it printed. */
export function runToEnd(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  const output = new CapturedOutput(child);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output: output.text })));
}

/** What the platform prints once it serves: its URL is the first group. */
export const PLATFORM_SERVING = /is serving (http:\/\/\S+)/;

/** Waits until `url` answers 2xx. */
export function waitForHttp(
  what: string,
  url: string,
  timeoutMs = 60_000,
  diagnostics?: () => string,
): Promise<true> {
  return eventually(
    what,
    async () => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok || undefined,
    timeoutMs,
    diagnostics,
  );
}
