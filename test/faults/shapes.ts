/**
 * The two shapes the fault runs break: the embedded platform (one process, on PostgreSQL), killed
 * with SIGKILL and started again on the same port; and the cluster shape on real sidecars (two
 * gateways) on a PostgreSQL and a NATS of its own, whose gateway, message service and sidecar,
 * PostgreSQL and broker are killed and brought back one after the other.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaprCluster } from '../support/dapr-cluster.ts';
import { exited, freePort, spawnLogged, tail, waitForHttp } from '../support/processes.ts';
import { PrivateNats, PrivatePostgres } from './private-services.ts';

export interface Fault {
  name: string;
  /** Kills the part and brings it back; resolves when it serves again. */
  inject(): Promise<void>;
}

export interface Shape {
  apiUrl: string;
  /** Where client socket number `socket` connects now (a gateway that is up). */
  gatewayUrl(socket: number): string;
  faults: Record<string, Fault>;
  /** The processes serving the shape, by name, for CPU accounting (the pids asked for when read). */
  processes(): Array<{ name: string; pids: () => number[] }>;
  /** Log tails, for a failed run. */
  diagnostics(): string;
  stop(): Promise<void>;
}

/** The embedded platform as its own process on `databaseUrl`, restartable on the same port. */
export async function embeddedShape(databaseUrl: string): Promise<Shape> {
  const dir = mkdtempSync(join(tmpdir(), 'anychat-faults-embedded-'));
  const log = join(dir, 'platform.log');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawnLogged(process.execPath, ['services/main.ts'], {
      logFile: log,
      cwd: join(import.meta.dirname, '..', '..'),
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        // Every registration of the run comes from one address.
        RATE_LIMIT_FACTOR: '10000',
      },
    });
    const started = child;
    let serving = false;
    // A platform that cannot start (a failed migration) says so at once, not after the wait.
    await Promise.race([
      waitForHttp('the embedded platform', `${url}/readyz`, 90_000, () => tail(log)).then(() => {
        serving = true;
      }),
      exited(started).then(() => {
        if (!serving)
          throw new Error(`the platform exited (${started.exitCode}) while starting:\n${tail(log)}`);
      }),
    ]);
  };
  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    apiUrl: url,
    gatewayUrl: () => url,
    faults: {
      'kill-platform': {
        name: 'SIGKILL the embedded platform, start it again',
        async inject() {
          child?.kill('SIGKILL');
          await exited(child);
          await start();
        },
      },
    },
    processes: () => [{ name: 'platform', pids: () => (child?.pid ? [child.pid] : []) }],
    diagnostics: () => tail(log, 40),
    async stop() {
      child?.kill('SIGTERM');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The cluster shape (test/support/dapr-cluster.ts, two gateways, NATS JetStream, the state store on
 * PostgreSQL) on a private PostgreSQL and NATS. Client sockets alternate between the gateways; while
 * one is down, its clients reconnect to the other (as behind a load balancer).
 */
export async function clusterShape(env: Record<string, string> = {}): Promise<Shape> {
  const postgres = await PrivatePostgres.start();
  const nats = await PrivateNats.start();
  // Read when the cluster's support modules load: they are imported below, after these are set.
  process.env.TEST_POSTGRES_URL = postgres.url;
  process.env.TEST_NATS_URL = nats.url;
  // The state store is PostgreSQL; the Redis database the cluster flushes is one no other suite uses.
  process.env.TEST_DAPR_REDIS_DB ??= '13';
  process.env.TEST_LOG_LEVEL ??= 'warn';
  let cluster: DaprCluster;
  try {
    const { DaprCluster } = await import('../support/dapr-cluster.ts');
    cluster = await DaprCluster.start({
      broker: 'nats',
      state: 'postgresql',
      gateways: 2,
      env: { RATE_LIMIT_FACTOR: '10000', ...env },
    });
  } catch (error) {
    await nats.stop();
    await postgres.stop();
    throw error;
  }
  const down = new Set<string>();
  let killedGateways = 0;
  const gateways = cluster.gateways;
  return {
    apiUrl: cluster.api.baseUrl,
    gatewayUrl(socket) {
      // A pair's sender and receiver on different gateways, half of each kind on each.
      const preferred = gateways[(Math.floor(socket / 2) + socket) % gateways.length]!;
      return (down.has(preferred.name) ? gateways.find((g) => !down.has(g.name))! : preferred).url;
    },
    faults: {
      gateway: {
        // The other gateway each time: the clients of the first one moved to the second and stay there.
        name: 'SIGKILL a gateway (each round the other one), start it again',
        async inject() {
          const { name } = gateways[killedGateways++ % gateways.length]!;
          down.add(name);
          await cluster.killApp(name);
          await cluster.restartApp(name);
          down.delete(name);
        },
      },
      message: {
        name: 'SIGKILL the message service and its sidecar, start both again',
        async inject() {
          await Promise.all([cluster.killApp('message'), cluster.killSidecar('message')]);
          await cluster.startMember(cluster.member('message'));
          await cluster.waitReady('message');
        },
      },
      postgres: {
        name: 'PostgreSQL stopped (immediate: crash recovery) and started again',
        inject: () => postgres.restart(),
      },
      broker: {
        name: 'SIGKILL nats-server (JetStream), start it again on its store',
        inject: () => nats.restart(),
      },
    },
    processes: () => [
      ...cluster.members.flatMap((member) => [
        { name: `${member.name} app`, pids: () => (member.app?.pid ? [member.app.pid] : []) },
        { name: `${member.name} daprd`, pids: () => (member.daprd?.pid ? [member.daprd.pid] : []) },
      ]),
      { name: 'postgresql', pids: () => postgres.pids() },
      { name: 'nats-server', pids: () => (nats.pid ? [nats.pid] : []) },
    ],
    diagnostics: () => `${cluster.diagnostics()}\n--- postgres ---\n${postgres.logTail()}`,
    async stop() {
      await cluster.stop();
      await nats.stop();
      await postgres.stop();
    },
  };
}
