/**
 * The ports contract on the Dapr adapter, against real sidecars: each contract app is a Koa app
 * of the platform kit (the same Dapr inbound routes the services use) behind its own daprd, and the
 * ports under test talk to a `publisher` sidecar. Once with NATS JetStream and Redis state, once
 * with Redis Streams and PostgreSQL state: the adapter code is the same, only the components differ.
 */

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  type DaprResource,
  deleteJetStreamStream,
  ensureJetStreamStream,
  LOCAL_BACKENDS,
  localStateConnection,
  pubsubComponents,
  resiliency,
  selfHostedConfiguration,
  stateComponents,
} from '../../services/platform/deploy/index.ts';
import { createDaprClient } from '../../services/platform/ports/dapr/client.ts';
import { DaprInvokePort } from '../../services/platform/ports/dapr/invoke.ts';
import { DaprPubSubPort } from '../../services/platform/ports/dapr/pubsub.ts';
import { DaprStatePort } from '../../services/platform/ports/dapr/state.ts';
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
import { type ContractApp, contractTopicSubscribers, portsContract } from './ports.contract.ts';

const MAX_ATTEMPTS = 4;
const STREAM = 'ANYCHAT_CONTRACT';

function daprContract(broker: 'nats' | 'redis', state: 'redis' | 'postgresql') {
  portsContract(`dapr, ${broker} pub/sub, ${state} state`, async (wire) => {
    const [daprd] = await Promise.all([ensureDaprd(), ensureBackingServices()]);
    const apps: ContractApp[] = wire('pubsub');
    const appIds = [...new Set(['publisher', ...apps.map((app) => app.appId)])];
    const workDir = mkdtempSync(join(tmpdir(), `anychat-contract-${broker}-`));
    const backend = await createBackend('postgresql');
    const servers: Server[] = [];
    const sidecars: ChildProcess[] = [];

    const pubsub = pubsubComponents({
      backend:
        broker === 'nats'
          ? { type: 'nats', natsUrl: NATS_URL, streamName: STREAM }
          : { type: 'redis', redisHost: REDIS_HOST, redisDB: TEST_REDIS_DB },
      topics: contractTopicSubscribers(apps),
      apps: appIds,
    });
    const stateBackend =
      state === 'redis'
        ? ({ type: 'redis', redisHost: REDIS_HOST, redisDB: TEST_REDIS_DB } as const)
        : { ...LOCAL_BACKENDS.postgresql, connectionString: localStateConnection(backend.env.DATABASE_URL!) };
    const resources: DaprResource[] = [
      ...pubsub,
      ...stateComponents(stateBackend, undefined, appIds),
      // A second store on its own database/tables: two stores on one Redis database would share keys.
      ...stateComponents(
        stateBackend.type === 'postgresql'
          ? { ...stateBackend, tablePrefix: 'other_' }
          : { ...stateBackend, redisDB: TEST_REDIS_DB + 1 },
        { pubsubName: 'pubsub', stateStoreName: 'otherstore', sharedStateStoreName: 'othershared' },
        appIds,
      ),
    ];
    mkdirSync(join(workDir, 'resources'));
    writeFileSync(
      join(workDir, 'resources', 'components.yaml'),
      resources.map((r) => stringify(r)).join('---\n'),
    );
    // daprd reads a Resiliency only from a file of its own.
    writeFileSync(
      join(workDir, 'resources', 'resiliency.yaml'),
      stringify(
        resiliency(
          pubsub.map((component) => component.metadata.name),
          MAX_ATTEMPTS,
        ),
      ),
    );
    writeFileSync(
      join(workDir, 'config.yaml'),
      stringify(selfHostedConfiguration(join(workDir, 'name-resolution.db'))),
    );
    if (broker === 'nats')
      await ensureJetStreamStream({
        natsUrl: NATS_URL,
        streamName: STREAM,
        subjects: ['contract.>'],
        reset: true,
      });
    await flushRedisDb(TEST_REDIS_DB);
    await flushRedisDb(TEST_REDIS_DB + 1);

    const sidecar = async (appId: string, name: string, appPort?: number) => {
      const httpPort = await freePort();
      const logFile = join(workDir, `${name}.daprd.log`);
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
      return { httpPort, logFile };
    };

    let publisher: { httpPort: number; logFile: string };
    const started: Array<{ httpPort: number; logFile: string }> = [];
    const cleanUp = async () => {
      for (const child of sidecars) child.kill('SIGTERM');
      await Promise.all(sidecars.map(exited));
      for (const server of servers) server.close();
      await backend.dispose();
      if (broker === 'nats') await deleteJetStreamStream(NATS_URL, STREAM);
      if (!process.env.TEST_KEEP_DAPR_LOGS) rmSync(workDir, { recursive: true, force: true });
    };
    try {
      for (const app of apps) {
        const { port, server } = await serveDaprInbound({
          subscriptions: app.subscriptions,
          internal: app.internal,
          maxDeliveryAttempts: MAX_ATTEMPTS,
        });
        servers.push(server);
        started.push(await sidecar(app.appId, app.instance, port));
      }
      publisher = await sidecar('publisher', 'publisher');
      await Promise.all([...started, publisher].map((s) => waitForDaprd(s.httpPort, s.logFile)));
    } catch (error) {
      await cleanUp();
      throw error;
    }

    const client = createDaprClient({
      host: '127.0.0.1',
      httpPort: publisher.httpPort,
      daprApiToken: undefined,
    });
    return {
      ports: {
        state: new DaprStatePort(client),
        pubsub: new DaprPubSubPort(client),
        pubsubName: 'pubsub',
        invoke: new DaprInvokePort(client, {
          host: '127.0.0.1',
          httpPort: publisher.httpPort,
          daprApiToken: undefined,
        }),
        maxDeliveryAttempts: MAX_ATTEMPTS,
        acceptsEtagForMissingKey: state === 'redis',
      },
      teardown: cleanUp,
    };
  });
}

daprContract('nats', 'redis');
daprContract('redis', 'postgresql');
