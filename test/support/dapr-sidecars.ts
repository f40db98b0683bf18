/**
 * Real daprd sidecars on this machine: the daprd binary, the backing services (PostgreSQL, Redis,
 * NATS), one sidecar, and a set of sidecars in front of bare apps of the platform kit (its Dapr
 * inbound routes only) — what the ports contract suite and the hop benchmark run on. The cluster of
 * real services (dapr-cluster.ts) starts its sidecars here too.
 */

import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import {
  type DaprResource,
  deleteJetStreamStream,
  ensureJetStreamStream,
  type PubSubBackend,
  pubsubComponents,
  resiliency,
  selfHostedConfiguration,
} from '../../common/deploy/index.ts';
import { createLogger } from '../../common/index.ts';
import { createHttpApp } from '../../services/platform/http/app.ts';
import { createMetrics } from '../../services/platform/http/metrics.ts';
import type { InternalService, Subscription } from '../../services/platform/ports/index.ts';
import { freePort, spawnLogged, stopProcesses, tail, waitForHttp } from './processes.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** Redis database the Dapr suites use (and flush); the next one holds a second state store. */
export const TEST_REDIS_DB = Number(process.env.TEST_DAPR_REDIS_DB ?? 7);
export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const REDIS_HOST = process.env.TEST_REDIS_HOST ?? '127.0.0.1:6379';

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

/** The pub/sub backend of the test broker: NATS JetStream into `streamName`, or Redis Streams. */
export function testBroker(broker: 'nats' | 'redis', streamName: string): PubSubBackend {
  return broker === 'nats'
    ? { type: 'nats', natsUrl: NATS_URL, streamName }
    : { type: 'redis', redisHost: REDIS_HOST, redisDB: TEST_REDIS_DB };
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

/** Starts a standalone daprd on loopback: no placement or scheduler (no actors or workflows). */
export async function spawnDaprd(spec: SidecarSpec): Promise<ChildProcess> {
  const [grpc, internalGrpc, metrics] = [await freePort(), await freePort(), await freePort()];
  return spawnLogged(
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
    { logFile: spec.logFile, cwd: dirname(spec.configFile) },
  );
}

/** What a bare app serves to its sidecar: subscriptions and internal methods, no user routes. */
export interface InboundSpec {
  subscriptions: Subscription[];
  internal: InternalService[];
  maxDeliveryAttempts: number;
}

/**
 * A bare app with the platform kit's Dapr inbound routes (subscriptions and internal methods, no user
 * routes) on a free loopback port: what a sidecar delivers to in the contract suite and benchmarks.
 */
export async function serveDaprInbound(inbound: InboundSpec): Promise<{ port: number; server: Server }> {
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
    dapr: { appApiToken: undefined, ...inbound },
  });
  const server = createHttpServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

/** Waits until a sidecar's health endpoint answers (its app reachable, if it has one). */
export async function waitForDaprd(httpPort: number, logFile: string, timeoutMs = 60_000): Promise<void> {
  await waitForHttp(`daprd on ${httpPort}`, `http://127.0.0.1:${httpPort}/v1.0/healthz`, timeoutMs, () =>
    tail(logFile),
  );
}

export interface SidecarSetOptions {
  /** Names the work directory. */
  label: string;
  broker: 'nats' | 'redis';
  /** NATS: the JetStream stream, created empty with these subjects and deleted at stop. */
  stream: { name: string; subjects: string[] };
  /** Topic → app-ids that subscribe to it. */
  topics: Record<string, readonly string[]>;
  /** The state stores, for these app-ids. */
  stateComponents: (appIds: string[]) => DaprResource[];
  /** Deliveries of one event before the pub/sub gives up (also the apps' own count). */
  maxDeliveryAttempts: number;
  /** The sidecars, started in this order: with `inbound`, in front of a bare app serving it. */
  sidecars: Array<{ name: string; appId: string; inbound?: Omit<InboundSpec, 'maxDeliveryAttempts'> }>;
}

export interface SidecarSet {
  /** The Dapr HTTP port of a sidecar, by name. */
  httpPort(name: string): number;
  stop(): Promise<void>;
}

/**
 * Sidecars on the test broker and state stores, each in front of its bare app, all healthy. The
 * Redis databases of the Dapr suites are flushed first; the work directory (resources, logs) is
 * removed at stop unless TEST_KEEP_DAPR_LOGS is set.
 */
export async function startSidecarSet(options: SidecarSetOptions): Promise<SidecarSet> {
  const [daprd] = await Promise.all([ensureDaprd(), ensureBackingServices()]);
  const workDir = mkdtempSync(join(tmpdir(), `anychat-${options.label}-`));
  const appIds = [...new Set(options.sidecars.map((sidecar) => sidecar.appId))];
  const pubsub = pubsubComponents({
    backend: testBroker(options.broker, options.stream.name),
    topics: options.topics,
    apps: appIds,
  });
  const resources = [...pubsub, ...options.stateComponents(appIds)];
  const resourcesDir = join(workDir, 'resources');
  mkdirSync(resourcesDir);
  writeFileSync(join(resourcesDir, 'components.yaml'), resources.map((r) => stringify(r)).join('---\n'));
  // daprd reads a Resiliency only from a file of its own.
  const retries = resiliency(
    pubsub.map((component) => component.metadata.name),
    options.maxDeliveryAttempts,
  );
  writeFileSync(join(resourcesDir, 'resiliency.yaml'), stringify(retries));
  const configFile = join(workDir, 'config.yaml');
  writeFileSync(configFile, stringify(selfHostedConfiguration(join(workDir, 'name-resolution.db'))));
  if (options.broker === 'nats')
    await ensureJetStreamStream({
      natsUrl: NATS_URL,
      streamName: options.stream.name,
      subjects: options.stream.subjects,
      reset: true,
    });
  await flushRedisDb(TEST_REDIS_DB);
  await flushRedisDb(TEST_REDIS_DB + 1);

  const servers: Server[] = [];
  const processes: ChildProcess[] = [];
  const ports = new Map<string, number>();
  const stop = async () => {
    await stopProcesses(processes);
    for (const server of servers) server.close();
    if (options.broker === 'nats') await deleteJetStreamStream(NATS_URL, options.stream.name);
    if (!process.env.TEST_KEEP_DAPR_LOGS) rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const started: Array<{ httpPort: number; logFile: string }> = [];
    for (const sidecar of options.sidecars) {
      let appPort: number | undefined;
      if (sidecar.inbound) {
        const served = await serveDaprInbound({
          ...sidecar.inbound,
          maxDeliveryAttempts: options.maxDeliveryAttempts,
        });
        servers.push(served.server);
        appPort = served.port;
      }
      const httpPort = await freePort();
      const logFile = join(workDir, `${sidecar.name}.daprd.log`);
      processes.push(
        await spawnDaprd({
          daprd,
          appId: sidecar.appId,
          ...(appPort ? { appPort } : {}),
          httpPort,
          resourcesPaths: [resourcesDir],
          configFile,
          logFile,
        }),
      );
      ports.set(sidecar.name, httpPort);
      started.push({ httpPort, logFile });
    }
    await Promise.all(started.map((s) => waitForDaprd(s.httpPort, s.logFile)));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    httpPort(name) {
      const port = ports.get(name);
      if (port === undefined) throw new Error(`no sidecar named ${name}`);
      return port;
    },
    stop,
  };
}
