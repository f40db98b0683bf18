/**
 * The cluster shape on this machine, for end-to-end tests: every app of dapr.yaml as its own Node
 * process behind its own real daprd, on the machine's PostgreSQL, Redis and NATS JetStream, with
 * the Dapr resources rendered by the same code as components/ (only addresses differ). Ports are
 * picked free at start instead of dapr.yaml's fixed ones, so suites never collide with a running
 * `dapr run -f .`. Each process's output goes to a log file whose tail is printed when something fails.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import {
  deleteJetStreamStream,
  ensureJetStreamStream,
  LOCAL_BACKENDS,
  localStateConnection,
  renderSelfHostedResources,
  streamSubjects,
} from '../../common/deploy/index.ts';
import { ENTRY_POINTS } from '../../common/index.ts';
import { sidecarOtel } from '../../operator/tracing-settings.ts';
import { ApiClient } from './api-client.ts';
import { createBackend } from './backends.ts';
import {
  ensureBackingServices,
  ensureDaprd,
  flushRedisDb,
  NATS_URL,
  REDIS_HOST,
  spawnDaprd,
  TEST_REDIS_DB,
} from './dapr-sidecars.ts';
import { eventually } from './eventually.ts';
import { startIngress } from './ingress.ts';
import { exited, freePort, spawnLogged, stopProcesses, tail } from './processes.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

export type Broker = 'nats' | 'redis';
export type StateBackendName = 'redis' | 'postgresql';

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
  /**
   * App ports fixed ahead, by member name: for a case whose outside party must know an app's
   * address before the cluster starts (LiveKit's webhooks go straight to the rtc app).
   */
  appPorts?: Record<string, number>;
  /**
   * An OTLP/HTTP trace receiver: every sidecar's Dapr Configuration sends its spans there (all
   * sampled), as the operator writes it for spec.observability.tracing. The apps' own
   * OTEL_EXPORTER_OTLP_ENDPOINT goes in `env`.
   */
  tracingEndpoint?: string;
}

const httpOk = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;

export class DaprCluster {
  readonly members: ClusterMember[] = [];
  readonly workDir: string;
  readonly options: Required<DaprClusterOptions>;
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
      appPorts: options.appPorts ?? {},
      tracingEndpoint: options.tracingEndpoint ?? '',
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
      // As in test/support/platform.ts: the second factor has its own suites.
      ADMIN_SECOND_FACTOR: 'optional',
      ...this.options.env,
    };
    for (const app of runFile.apps) {
      const instances = app.appID === 'gateway' ? this.options.gateways : 1;
      for (let index = 1; index <= instances; index++) {
        const name = app.appID === 'gateway' ? `gateway-${index}` : app.appID;
        const appPort = this.options.appPorts[name] ?? (await freePort());
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
    if (this.options.tracingEndpoint)
      files['config.yaml'] = tracedConfiguration(files['config.yaml']!, this.options.tracingEndpoint);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(this.workDir, path)), { recursive: true });
      writeFileSync(join(this.workDir, path), text);
    }
  }

  async #migrate(): Promise<void> {
    try {
      await run(process.execPath, [join(ROOT, ENTRY_POINTS.migrate)], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: this.databaseUrl, SERVICES: 'all', LOG_LEVEL: 'warn' },
      });
    } catch (error) {
      throw new Error(`migrations failed: ${(error as { stderr?: string }).stderr}`);
    }
  }

  /** Starts (or restarts) a member's sidecar and app. */
  async startMember(member: ClusterMember, app?: RunFileApp): Promise<void> {
    await this.startSidecar(member);
    this.startApp(member, app);
  }

  /**
   * Starts a member's app process (its sidecar already up), with the run file's command and
   * settings; `env` on top (a case that needs one app set otherwise than the suite's).
   */
  startApp(member: ClusterMember, app?: RunFileApp, env: Record<string, string> = {}): void {
    const runApp = app ?? readRunFile().apps.find((candidate) => candidate.appID === member.appId)!;
    const appEnv = {
      ...process.env,
      ...this.#baseEnv,
      ...Object.fromEntries(Object.entries(runApp.env ?? {}).map(([k, v]) => [k, String(v)])),
      PORT: String(member.appPort),
      METRICS_PORT: new URL(member.metricsUrl).port,
      DAPR_HTTP_PORT: String(member.daprHttpPort),
      ...(member.appId === 'gateway' ? { GATEWAY_INSTANCE_ID: member.name } : {}),
      ...env,
    };
    const [command, ...args] = runApp.command;
    member.app = spawnLogged(command === 'node' ? process.execPath : command!, args, {
      logFile: member.appLog,
      cwd: ROOT,
      env: appEnv,
    });
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

  /**
   * Starts a killed app again on the same ports (its sidecar still running) and waits until it is
   * ready; `env` on top of the suite's settings.
   */
  async restartApp(name: string, env: Record<string, string> = {}): Promise<void> {
    const member = this.member(name);
    this.startApp(member, undefined, env);
    await this.#waitReady([member]);
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
    await stopProcesses(
      this.members.map((m) => m.app),
      { graceMs: 15_000 },
    );
    await stopProcesses(
      this.members.map((m) => m.daprd),
      { graceMs: 10_000 },
    );
    await this.#disposeBackend().catch(() => {});
    if (this.options.broker === 'nats') await deleteJetStreamStream(NATS_URL, STREAM).catch(() => {});
    if (!process.env.TEST_KEEP_DAPR_LOGS) rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** The self-hosted Dapr Configuration with the sidecars' tracing on, to `endpoint` as the operator writes it. */
function tracedConfiguration(text: string, endpoint: string): string {
  const configuration = parse(text) as { spec: Record<string, unknown> };
  configuration.spec.tracing = { samplingRate: '1', otel: sidecarOtel({ endpoint, samplingRate: '1' }) };
  return stringify(configuration);
}
