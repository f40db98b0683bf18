/**
 * A PostgreSQL and a NATS JetStream server of the fault run's own, on free ports, so that restarting
 * them touches nobody else's tests (the machine's PostgreSQL on 5432 and NATS on 4222 are shared).
 * PostgreSQL is made with initdb and run with pg_ctl as the `postgres` user when this runs as root
 * (PostgreSQL refuses to run as root); NATS keeps its stream on disk, so a restart keeps what it held.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exited, freePort, spawnLogged, tail, waitForHttp } from '../support/processes.ts';

const run = promisify(execFile);

/** The PostgreSQL server binaries of this machine (Debian keeps them out of PATH). */
function postgresBin(tool: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const path = join(root, version, 'bin', tool);
    if (existsSync(path)) return path;
  }
  return tool;
}

/** Runs a PostgreSQL tool, as `postgres` when this process is root. */
async function asPostgres(tool: string, args: string[]): Promise<void> {
  const [command, fullArgs] =
    userInfo().uid === 0
      ? ['runuser', ['-u', 'postgres', '--', postgresBin(tool), ...args]]
      : [postgresBin(tool), args];
  try {
    await run(command, fullArgs, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`${tool} ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr ?? error}`);
  }
}

export class PrivatePostgres {
  readonly port: number;
  readonly #dir: string;
  readonly #log: string;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.#dir = join(dir, 'data');
    this.#log = join(dir, 'postgres.log');
  }

  /** The admin URL (trust authentication on loopback, user postgres). */
  get url() {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'anychat-faults-pg-'));
    if (userInfo().uid === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout), Number(gid));
    }
    const server = new PrivatePostgres(await freePort(), dir);
    await asPostgres('initdb', [
      '-D',
      server.#dir,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    await server.#start();
    return server;
  }

  async #start() {
    // The cluster shape opens ~15 pools; the socket directory is the data directory (not /run, not shared).
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.#dir} -c max_connections=300`;
    await asPostgres('pg_ctl', ['-D', this.#dir, '-l', this.#log, '-o', options, '-w', '-t', '60', 'start']);
  }

  /** Stops it the hard way (immediate: no checkpoint, crash recovery at start) and starts it again. */
  async restart(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.#dir, '-m', 'immediate', '-w', 'stop']);
    await this.#start();
  }

  logTail() {
    return tail(this.#log);
  }

  /** The postmaster and its backends (for CPU accounting). */
  pids(): number[] {
    const postmaster = Number(readFileSync(join(this.#dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return [postmaster, ...childrenOf(postmaster)];
  }

  async stop(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.#dir, '-m', 'fast', '-w', 'stop']).catch(() => {});
    rmSync(join(this.#dir, '..'), { recursive: true, force: true });
  }
}

export class PrivateNats {
  readonly port: number;
  readonly #dir: string;
  #process: ChildProcess | undefined;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.#dir = dir;
  }

  get url() {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  static async start(): Promise<PrivateNats> {
    const nats = new PrivateNats(await freePort(), mkdtempSync(join(tmpdir(), 'anychat-faults-nats-')));
    await nats.#start();
    return nats;
  }

  async #start() {
    const monitor = await freePort();
    const log = join(this.#dir, 'nats.log');
    this.#process = spawnLogged(
      'nats-server',
      [
        '-a',
        '127.0.0.1',
        '-p',
        String(this.port),
        '-m',
        String(monitor),
        '-js',
        '-sd',
        join(this.#dir, 'store'),
      ],
      { logFile: log },
    );
    // /healthz answers once JetStream has recovered its streams from disk.
    await waitForHttp('private nats-server', `http://127.0.0.1:${monitor}/healthz`, 30_000, () => tail(log));
  }

  /** SIGKILL (a crash: no goodbye to the clients) and start again on the same port and store. */
  async restart(): Promise<void> {
    this.#process?.kill('SIGKILL');
    await exited(this.#process);
    await this.#start();
  }

  async stop(): Promise<void> {
    this.#process?.kill('SIGTERM');
    await exited(this.#process);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** Processes whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold spaces) start after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return children;
}
