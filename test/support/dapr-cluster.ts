/**
 * The cluster shape on this machine, for end-to-end tests: every app of dapr.yaml as its own Node
 * process behind its own real daprd, on the machine's PostgreSQL, Redis and NATS JetStream, with
 * the Dapr resources rendered by the same code as components/ (only addresses differ). Ports are
 * picked free at start instead of dapr.yaml's fixed ones, so suites never collide with a running
 * `dapr run -f .`. Each process's output goes to a log file whose tail is printed when something fails.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import {
  deleteJetStreamStream,
  ensureJetStreamStream,
  LOCAL_BACKENDS,
  localStateConnection,
  renderSelfHostedResources,
  streamSubjects,
} from '../../services/platform/deploy/index.ts';
import { createHttpApp } from '../../services/platform/http/app.ts';
import { createMetrics } from '../../services/platform/http/metrics.ts';
import { createLogger } from '../../services/platform/logger.ts';
import type { InternalService, LegacyHandlers, Subscription } from '../../services/platform/ports/index.ts';
import { ApiClient } from './api-client.ts';
import { createBackend } from './backends.ts';
import { eventually } from './eventually.ts';
import { startIngress } from './ingress.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

export type Broker = 'nats' | 'redis';
export type StateBackendName = 'redis' | 'postgresql';

/** Redis database the Dapr suites own (flushed at each start); the platform's own tests never use Redis. */
export const TEST_REDIS_DB = Number(process.env.TEST_DAPR_REDIS_DB ?? 7);
export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_HOST = process.env.TEST_REDIS_HOST ?? '127.0.0.1:6379';
const STREAM = 'ANYCHAT_TEST';

interface RunFileApp {
  appID: string;
  command: string[];
  env?: Record<string, string | number>;
}

interface RunFile {
  common: { env?: Record<string, string | number> };
  apps: RunFileApp[];
}

export function readRunFile(): RunFile {
  return parse(readFileSync(join(ROOT, 'dapr.yaml'), 'utf8')) as RunFile;
}

/** One app process and its sidecar. */
export interface ClusterMember {
  name: string;
  appId: string;
  appPort: number;
  daprHttpPort: number;
  url: string;
  /** Its Prometheus endpoint (METRICS_PORT): never on the app port. */
  metricsUrl: string;
  app?: ChildProcess;
  daprd?: ChildProcess;
  appLog: string;
  daprdLog: string;
}

export interface DaprClusterOptions {
  broker: Broker;
  state?: StateBackendName;
  /** Gateway instances (app-id gateway, each with its own delivery topic). */
  gateways?: number;
  /** Extra environment for every app. */
  env?: Record<string, string>;
}

/** Path of a daprd binary, building it once per machine if needed (see scripts/test-env/ensure-daprd.sh). */
export async function ensureDaprd(): Promise<string> {
  try {
    const { stdout } = await run(join(ROOT, 'scripts/test-env/ensure-daprd.sh'), [], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim().split('\n').at(-1)!;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `no daprd: scripts/test-env/ensure-daprd.sh failed:\n${stderr.split('\n').slice(-20).join('\n')}`,
    );
  }
}

export async function ensureBackingServices(): Promise<void> {
  try {
    await run(join(ROOT, 'scripts/test-env/ensure-services.sh'));
  } catch (error) {
    throw new Error(
      `PostgreSQL, Redis or NATS is down and could not be started: ${(error as { stderr?: string }).stderr}`,
    );
  }
}

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

/** Empties one Redis database (SELECT + FLUSHDB over the inline protocol; no client library needed). */
export async function flushRedisDb(db: number): Promise<void> {
  const [host, port] = REDIS_HOST.split(':');
  await new Promise<void>((resolve, reject) => {
    const socket = netConnect(Number(port), host!, () => socket.write(`SELECT ${db}\r\nFLUSHDB\r\n`));
    let replies = '';
    socket.on('data', (data) => {
      replies += data.toString();
      if (replies.split('\r\n').filter(Boolean).length >= 2) {
        socket.end();
        if (replies.includes('-ERR')) reject(new Error(`redis: ${replies}`));
        else resolve();
      }
    });
    socket.once('error', reject);
  });
}

const httpOk = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;

export function tail(path: string, lines = 25): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface SidecarSpec {
  daprd: string;
  appId: string;
  /** The app's HTTP port; none for a sidecar that only calls out (a publisher). */
  appPort?: number;
  httpPort: number;
  resourcesPaths: string[];
  configFile: string;
  logFile: string;
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

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Starts a standalone daprd on loopback: no placement or scheduler (no actors or workflows). */
export async function spawnDaprd(spec: SidecarSpec): Promise<ChildProcess> {
  const [grpc, internalGrpc, metrics] = [await freePort(), await freePort(), await freePort()];
  const log = openSync(spec.logFile, 'a');
  const child = spawn(
    spec.daprd,
    [
      ...['--app-id', spec.appId],
      ...(spec.appPort ? ['--app-port', String(spec.appPort), '--app-protocol', 'http'] : []),
      // Deliveries pause while the app is not ready (starting, draining, down) instead of failing.
      ...(spec.appPort ? ['--enable-app-health-check', '--app-health-check-path', '/readyz'] : []),
      ...(spec.appPort ? ['--app-health-probe-interval', '1', '--app-health-threshold', '2'] : []),
      ...['--dapr-http-port', String(spec.httpPort), '--dapr-grpc-port', String(grpc)],
      ...['--dapr-internal-grpc-port', String(internalGrpc), '--metrics-port', String(metrics)],
      ...['--dapr-listen-addresses', '127.0.0.1', '--app-channel-address', '127.0.0.1'],
      ...spec.resourcesPaths.flatMap((path) => ['--resources-path', path]),
      ...['--config', spec.configFile, '--log-level', 'warn', '--dapr-graceful-shutdown-seconds', '3'],
    ],
    { cwd: dirname(spec.configFile), stdio: ['ignore', log, log] },
  );
  closeSync(log);
  return track(child);
}

/**
 * A bare app with the platform kit's Dapr inbound routes (subscriptions and internal methods, no user
 * routes) on a free loopback port: what a sidecar delivers to in the contract suite and benchmarks.
 */
export async function serveDaprInbound(options: {
  subscriptions: Subscription[];
  internal: InternalService[];
  legacy?: LegacyHandlers;
  maxDeliveryAttempts: number;
}): Promise<{ port: number; server: Server }> {
  const app = createHttpApp({
    logger: createLogger('silent'),
    clientAddress: (request) => request.socket.remoteAddress ?? '',
    metrics: createMetrics(),
    bodyLimitKb: 64,
    routes: [],
    authenticators: {
      user: async () => {
        throw new Error('no user routes here');
      },
    },
    ready: async () => true,
    version: 'test',
    dapr: { appApiToken: undefined, ...options },
  });
  const server = createHttpServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

/** Waits until a sidecar's health endpoint answers (its app reachable, if it has one). */
export async function waitForDaprd(httpPort: number, logFile: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    `daprd on ${httpPort}`,
    () => httpOk(`http://127.0.0.1:${httpPort}/v1.0/healthz`),
    timeoutMs,
    () => tail(logFile),
  );
}

export function exited(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export class DaprCluster {
  readonly members: ClusterMember[] = [];
  readonly workDir: string;
  readonly options: Required<Omit<DaprClusterOptions, 'env'>> & { env: Record<string, string> };
  api!: ApiClient;
  databaseUrl = '';
  #daprd = '';
  #baseEnv: Record<string, string> = {};
  #disposeBackend: () => Promise<void> = async () => {};
  #stopIngress: () => Promise<void> = async () => {};

  private constructor(options: DaprClusterOptions) {
    this.options = {
      broker: options.broker,
      state: options.state ?? 'redis',
      gateways: options.gateways ?? 2,
      env: options.env ?? {},
    };
    this.workDir = mkdtempSync(join(tmpdir(), `anychat-dapr-${options.broker}-`));
  }

  static async start(options: DaprClusterOptions): Promise<DaprCluster> {
    const cluster = new DaprCluster(options);
    try {
      await cluster.#start();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  get gateways(): ClusterMember[] {
    return this.members.filter((member) => member.appId === 'gateway');
  }

  member(name: string): ClusterMember {
    const found = this.members.find((member) => member.name === name);
    if (!found) throw new Error(`no cluster member ${name}`);
    return found;
  }

  /** Log tails of every member, for failure messages. */
  diagnostics(): string {
    return this.members
      .map(
        (m) =>
          `--- ${m.name} app ---\n${tail(m.appLog, 10)}\n--- ${m.name} daprd ---\n${tail(m.daprdLog, 10)}`,
      )
      .join('\n');
  }

  async #start(): Promise<void> {
    const [daprd] = await Promise.all([ensureDaprd(), ensureBackingServices()]);
    this.#daprd = daprd;
    const backend = await createBackend('postgresql');
    this.#disposeBackend = () => backend.dispose();
    this.databaseUrl = backend.env.DATABASE_URL!;
    await this.#writeResources();
    if (this.options.broker === 'nats')
      await ensureJetStreamStream({
        natsUrl: NATS_URL,
        streamName: STREAM,
        subjects: streamSubjects(),
        reset: true,
      });
    await flushRedisDb(TEST_REDIS_DB);
    await this.#migrate();

    const runFile = readRunFile();
    this.#baseEnv = {
      ...Object.fromEntries(Object.entries(runFile.common.env ?? {}).map(([k, v]) => [k, String(v)])),
      DATABASE_URL: this.databaseUrl,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
      NODE_ENV: 'test',
      RATE_LIMIT_FACTOR: '100',
      ...this.options.env,
    };
    for (const app of runFile.apps) {
      const instances = app.appID === 'gateway' ? this.options.gateways : 1;
      for (let index = 1; index <= instances; index++) {
        const name = app.appID === 'gateway' ? `gateway-${index}` : app.appID;
        const appPort = await freePort();
        const daprHttpPort = await freePort();
        const metricsPort = await freePort();
        this.members.push({
          name,
          appId: app.appID,
          appPort,
          daprHttpPort,
          url: `http://127.0.0.1:${appPort}`,
          metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
          appLog: join(this.workDir, `${name}.app.log`),
          daprdLog: join(this.workDir, `${name}.daprd.log`),
        });
      }
    }
    const appEnv = new Map(runFile.apps.map((app) => [app.appID, app]));
    await Promise.all(this.members.map((member) => this.startMember(member, appEnv.get(member.appId)!)));
    await this.#waitReady(this.members);
    const ingress = await startIngress(this.members.filter((m) => m.appId !== 'gateway'));
    this.#stopIngress = ingress.stop;
    this.api = new ApiClient(ingress.url);
  }

  async #writeResources(): Promise<void> {
    const files = renderSelfHostedResources({
      nats: { type: 'nats', natsUrl: NATS_URL, streamName: STREAM },
      redisPubSub: { type: 'redis', redisHost: REDIS_HOST, redisDB: TEST_REDIS_DB },
      redisState: { type: 'redis', redisHost: REDIS_HOST, redisDB: TEST_REDIS_DB },
      postgresState: {
        ...LOCAL_BACKENDS.postgresql,
        connectionString: localStateConnection(this.databaseUrl),
      },
      nameResolutionDb: join(this.workDir, 'name-resolution.db'),
    });
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(this.workDir, path)), { recursive: true });
      writeFileSync(join(this.workDir, path), text);
    }
  }

  async #migrate(): Promise<void> {
    try {
      await run(process.execPath, [join(ROOT, 'services/migrate.ts')], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: this.databaseUrl, SERVICES: 'all', LOG_LEVEL: 'warn' },
      });
    } catch (error) {
      throw new Error(`migrations failed: ${(error as { stderr?: string }).stderr}`);
    }
  }

  /** Starts (or restarts) a member's sidecar and app. */
  async startMember(member: ClusterMember, app?: RunFileApp): Promise<void> {
    const runApp = app ?? readRunFile().apps.find((candidate) => candidate.appID === member.appId)!;
    await this.startSidecar(member);
    const env = {
      ...process.env,
      ...this.#baseEnv,
      ...Object.fromEntries(Object.entries(runApp.env ?? {}).map(([k, v]) => [k, String(v)])),
      PORT: String(member.appPort),
      METRICS_PORT: new URL(member.metricsUrl).port,
      DAPR_HTTP_PORT: String(member.daprHttpPort),
      ...(member.appId === 'gateway' ? { GATEWAY_INSTANCE_ID: member.name } : {}),
    };
    const [command, ...args] = runApp.command;
    const log = openSync(member.appLog, 'a');
    member.app = track(
      spawn(command === 'node' ? process.execPath : command!, args, {
        cwd: ROOT,
        env,
        stdio: ['ignore', log, log],
      }),
    );
    closeSync(log);
  }

  async startSidecar(member: ClusterMember): Promise<void> {
    const broker = this.options.broker === 'nats' ? 'pubsub-nats' : 'pubsub-redis';
    member.daprd = await spawnDaprd({
      daprd: this.#daprd,
      appId: member.appId,
      appPort: member.appPort,
      httpPort: member.daprHttpPort,
      resourcesPaths: ['common', broker, `state-${this.options.state}`].map((dir) => join(this.workDir, dir)),
      configFile: join(this.workDir, 'config.yaml'),
      logFile: member.daprdLog,
    });
  }

  async #waitReady(members: ClusterMember[], timeoutMs = 90_000): Promise<void> {
    await Promise.all(
      members.map((member) =>
        eventually(
          `${member.name} (app and sidecar)`,
          async () =>
            (await httpOk(`${member.url}/readyz`)) &&
            (await httpOk(`http://127.0.0.1:${member.daprHttpPort}/v1.0/healthz`)),
          timeoutMs,
          () => `--- app ---\n${tail(member.appLog)}\n--- daprd ---\n${tail(member.daprdLog)}`,
        ),
      ),
    );
  }

  async waitReady(...names: string[]): Promise<void> {
    await this.#waitReady(names.map((name) => this.member(name)));
  }

  /** Kills a member's app process (SIGKILL: no drain, no goodbye) and waits for it to be gone. */
  async killApp(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const member = this.member(name);
    member.app?.kill(signal);
    await exited(member.app);
  }

  async killSidecar(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const member = this.member(name);
    member.daprd?.kill(signal);
    await exited(member.daprd);
  }

  /** Starts a killed sidecar again on the same ports and waits until it serves its app. */
  async restartSidecar(name: string): Promise<void> {
    const member = this.member(name);
    await this.startSidecar(member);
    await this.#waitReady([member]);
  }

  async stop(): Promise<void> {
    await this.#stopIngress().catch(() => {});
    // Apps first (they drain), then sidecars.
    for (const member of this.members) member.app?.kill('SIGTERM');
    await Promise.race([
      Promise.all(this.members.map((m) => exited(m.app))),
      new Promise((resolve) => setTimeout(resolve, 15_000)),
    ]);
    for (const member of this.members) {
      member.app?.kill('SIGKILL');
      member.daprd?.kill('SIGTERM');
    }
    await Promise.race([
      Promise.all(this.members.map((m) => exited(m.daprd))),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
    for (const member of this.members) member.daprd?.kill('SIGKILL');
    await this.#disposeBackend().catch(() => {});
    if (this.options.broker === 'nats') await deleteJetStreamStream(NATS_URL, STREAM).catch(() => {});
    if (!process.env.TEST_KEEP_DAPR_LOGS) rmSync(this.workDir, { recursive: true, force: true });
  }
}
