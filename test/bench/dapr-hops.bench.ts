/**
 * What one Dapr hop costs (a benchmark, not a test): the same operations through the embedded
 * adapter and through real sidecars, one at a time, so the figures are latencies, not throughput.
 *
 *   scripts/node24 node test/bench/dapr-hops.bench.ts [nats|redis] [iterations]
 *
 * - invoke: a contract method of another app, Connect protocol with binary protobuf (embedded: the
 *   in-memory transport, encoding included; Dapr: app → its sidecar → the callee's sidecar → callee
 *   app, and back);
 * - state get: one key (embedded: a PostgreSQL query; Dapr: app → sidecar → Redis);
 * - publish → handler: from publish until the subscriber's handler runs (embedded: in-process bus;
 *   Dapr: app → sidecar → broker → subscriber's sidecar → subscriber app).
 */
import { z } from 'zod';
import { stateComponents } from '../../common/deploy/index.ts';
import { CalleeService } from '../../services/platform/contracts/gen/anychat/callee/v1/callee_pb.ts';
import { migrate, openServiceDatabase, sqlExecutor } from '../../services/platform/db/index.ts';
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
  REDIS_HOST,
  startSidecarSet,
  TEST_REDIS_DB,
} from '../support/dapr-sidecars.ts';

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
/** The callee's contract service (Connect, binary protobuf). */
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
    await measure('invoke', () => ports.invoke.call(CalleeService.method.echo, ECHOED)),
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
  const sidecars = await startSidecarSet({
    label: 'bench',
    broker,
    stream: { name: 'ANYCHAT_BENCH', subjects: ['bench.>'] },
    topics: { [TOPIC]: ['subscriber'] },
    stateComponents: (appIds) =>
      stateComponents({ type: 'redis', redisHost: REDIS_HOST, redisDB: TEST_REDIS_DB }, undefined, appIds),
    maxDeliveryAttempts: 10,
    sidecars: [
      { name: 'caller', appId: 'caller' },
      { name: 'callee', appId: 'callee', inbound: { subscriptions: [], internal } },
      { name: 'subscriber', appId: 'subscriber', inbound: { subscriptions: [subscription], internal: [] } },
    ],
  });
  const caller = { host: '127.0.0.1', httpPort: sidecars.httpPort('caller'), daprApiToken: undefined };
  const client = createDaprClient(caller);
  try {
    return await run({
      invoke: new DaprInvokePort(caller),
      state: new DaprStatePort(client),
      pubsub: new DaprPubSubPort(client),
    });
  } finally {
    await sidecars.stop();
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
