/**
 * What one Dapr hop costs (a benchmark, not a test): the same operations through the embedded
 * adapter and through real sidecars, one at a time, so the figures are latencies, not throughput.
 *
 *   scripts/node24 node test/bench/dapr-hops.bench.ts [nats|redis] [iterations]
 *
 * - invoke: a contract method of another app, Connect protocol with binary protobuf (embedded: the
 *   in-memory transport, encoding included; Dapr: app → its sidecar → the callee's sidecar → callee
 *   app, and back), and the same echo as a JSON envelope call for comparison;
 * - state get: one key (embedded: a PostgreSQL query; Dapr: app → sidecar → Redis);
 * - publish → handler: from publish until the subscriber's handler runs (embedded: in-process bus;
 *   Dapr: app → sidecar → broker → subscriber's sidecar → subscriber app).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { CalleeService } from '../../services/platform/contracts/gen/anychat/callee/v1/callee_pb.ts';
import { migrate, openServiceDatabase, sqlExecutor } from '../../services/platform/db/index.ts';
import {
  deleteJetStreamStream,
  ensureJetStreamStream,
  pubsubComponents,
  selfHostedConfiguration,
  stateComponents,
} from '../../services/platform/deploy/index.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { createDaprClient } from '../../services/platform/ports/dapr/client.ts';
import { DaprInvokePort } from '../../services/platform/ports/dapr/invoke.ts';
import { DaprPubSubPort } from '../../services/platform/ports/dapr/pubsub.ts';
import { DaprStatePort } from '../../services/platform/ports/dapr/state.ts';
import { EmbeddedInvoker } from '../../services/platform/ports/embedded/invoke.ts';
import { EmbeddedBus } from '../../services/platform/ports/embedded/pubsub.ts';
import { PostgresStatePort } from '../../services/platform/ports/embedded/state.ts';
import {
  type InvokePort,
  internalService,
  type PubSubPort,
  type StatePort,
  type Subscription,
} from '../../services/platform/ports/index.ts';
import { PLATFORM_SCHEMA } from '../../services/registry.ts';
import { createBackend } from '../support/backends.ts';
import {
  ensureBackingServices,
  ensureDaprd,
  exited,
  flushRedisDb,
  freePort,
  NATS_URL,
  REDIS_HOST,
  serveDaprInbound,
  spawnDaprd,
  TEST_REDIS_DB,
  waitForDaprd,
} from '../support/dapr-cluster.ts';

const broker = (process.argv[2] ?? 'nats') as 'nats' | 'redis';
const iterations = Number(process.argv[3] ?? 1000);
const logger = createLogger('silent');
const TOPIC = 'bench.hop';

interface Ports {
  invoke: InvokePort;
  state: StatePort;
  pubsub: PubSubPort;
}

/** The subscriber's handler resolves whoever waits for the event with this sequence number. */
const waiting = new Map<number, () => void>();
const subscription: Subscription = {
  pubsubName: 'pubsub',
  topic: TOPIC,
  handle: async (event) => {
    waiting.get((event.data as { n: number }).n)?.();
    return 'SUCCESS';
  },
};
/** The callee's contract service (Connect, binary protobuf) and, for comparison, a JSON handler. */
const internal = [
  internalService(
    CalleeService,
    {
      echo: z.object({ text: z.string(), numbers: z.array(z.bigint()), label: z.string() }),
      refuse: z.object({}),
    },
    {
      echo: async (input) => ({ got: input }),
      refuse: async () => ({}),
    },
  ),
];
const legacy = { echo: async (body: unknown) => body };
const ECHOED = { text: 'hello', numbers: [1n, 2n, 3n], label: 'bench' };

async function measure(name: string, run: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 50; i++) await run(-1 - i); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await run(i);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  return { name, p50: Number(at(0.5).toFixed(2)), p99: Number(at(0.99).toFixed(2)) };
}

async function run(ports: Ports) {
  const store = ports.state.store('statestore');
  await store.save('bench-key', { hello: 'world' });
  return [
    await measure('invoke (Connect, protobuf)', () => ports.invoke.call(CalleeService.method.echo, ECHOED)),
    await measure('invoke (JSON envelope)', () =>
      ports.invoke.invoke('callee', 'echo', { text: 'hello', numbers: [1, 2, 3], label: 'bench' }),
    ),
    await measure('state get', () => store.get('bench-key')),
    await measure('publish → handler', async (i) => {
      const delivered = new Promise<void>((resolve) => waiting.set(i, resolve));
      await ports.pubsub.publish('pubsub', TOPIC, { n: i });
      await delivered;
      waiting.delete(i);
    }),
  ];
}

async function embedded(databaseUrl: string) {
  const orm = await openServiceDatabase({
    url: databaseUrl,
    schema: 'platform',
    entities: [],
    migrations: PLATFORM_SCHEMA.migrations,
    poolMax: 4,
    logger,
  });
  await migrate(orm, 'platform');
  const bus = new EmbeddedBus(logger);
  const invoker = new EmbeddedInvoker();
  bus.subscribe('subscriber', subscription);
  invoker.register('callee', internal);
  invoker.registerLegacy('callee', legacy);
  const results = await run({
    invoke: invoker,
    state: new PostgresStatePort(sqlExecutor(orm), () => 'bench||'),
    pubsub: bus.port('caller'),
  });
  bus.close();
  await orm.close();
  return results;
}

async function dapr() {
  const daprd = await ensureDaprd();
  const workDir = mkdtempSync(join(tmpdir(), 'anychat-bench-'));
  const apps = ['caller', 'callee', 'subscriber'];
  const resources = [
    ...pubsubComponents({
      backend:
        broker === 'nats'
          ? { type: 'nats', natsUrl: NATS_URL, streamName: 'ANYCHAT_BENCH' }
          : { type: 'redis', redisHost: REDIS_HOST, redisDB: TEST_REDIS_DB },
      topics: { [TOPIC]: ['subscriber'] },
      apps,
    }),
    ...stateComponents({ type: 'redis', redisHost: REDIS_HOST, redisDB: TEST_REDIS_DB }, undefined, apps),
  ];
  mkdirSync(join(workDir, 'resources'));
  writeFileSync(join(workDir, 'resources', 'all.yaml'), resources.map((r) => stringify(r)).join('---\n'));
  writeFileSync(join(workDir, 'config.yaml'), stringify(selfHostedConfiguration(join(workDir, 'names.db'))));
  if (broker === 'nats')
    await ensureJetStreamStream({
      natsUrl: NATS_URL,
      streamName: 'ANYCHAT_BENCH',
      subjects: ['bench.>'],
      reset: true,
    });
  await flushRedisDb(TEST_REDIS_DB);

  const servers: Server[] = [];
  const sidecars: ChildProcess[] = [];
  const start = async (appId: string, serve: boolean) => {
    let appPort: number | undefined;
    if (serve) {
      const served = await serveDaprInbound({
        subscriptions: appId === 'subscriber' ? [subscription] : [],
        internal: appId === 'callee' ? internal : [],
        ...(appId === 'callee' ? { legacy } : {}),
        maxDeliveryAttempts: 10,
      });
      servers.push(served.server);
      appPort = served.port;
    }
    const httpPort = await freePort();
    const logFile = join(workDir, `${appId}.log`);
    sidecars.push(
      await spawnDaprd({
        daprd,
        appId,
        ...(appPort ? { appPort } : {}),
        httpPort,
        resourcesPaths: [join(workDir, 'resources')],
        configFile: join(workDir, 'config.yaml'),
        logFile,
      }),
    );
    await waitForDaprd(httpPort, logFile);
    return httpPort;
  };
  const callerPort = await start('caller', false);
  await start('callee', true);
  await start('subscriber', true);
  const client = createDaprClient({ host: '127.0.0.1', httpPort: callerPort, daprApiToken: undefined });
  try {
    return await run({
      invoke: new DaprInvokePort(client, {
        host: '127.0.0.1',
        httpPort: callerPort,
        daprApiToken: undefined,
      }),
      state: new DaprStatePort(client),
      pubsub: new DaprPubSubPort(client),
    });
  } finally {
    for (const sidecar of sidecars) sidecar.kill('SIGTERM');
    await Promise.all(sidecars.map(exited));
    for (const server of servers) server.close();
    if (broker === 'nats') await deleteJetStreamStream(NATS_URL, 'ANYCHAT_BENCH');
    rmSync(workDir, { recursive: true, force: true });
  }
}

await ensureBackingServices();
const backend = await createBackend('postgresql');
try {
  const rows = {
    embedded: await embedded(backend.env.DATABASE_URL!),
    [`dapr (${broker})`]: await dapr(),
  };
  console.log(JSON.stringify({ iterations, broker, rows }, null, 2));
} finally {
  await backend.dispose();
}
