/**
 * The ports contract on the Dapr adapter, against real sidecars: each contract app is a Koa app
 * of the platform kit (the same Dapr inbound routes the services use) behind its own daprd, and the
 * ports under test talk to a `publisher` sidecar. Once with NATS JetStream and Redis state, once
 * with Redis Streams and PostgreSQL state: the adapter code is the same, only the components differ.
 */

import {
  LOCAL_BACKENDS,
  localStateConnection,
  type StateBackend,
  stateComponents,
} from '../../common/deploy/index.ts';
import { createDaprClient } from '../../services/platform/ports/dapr/client.ts';
import { DaprInvokePort } from '../../services/platform/ports/dapr/invoke.ts';
import { DaprPubSubPort } from '../../services/platform/ports/dapr/pubsub.ts';
import { DaprStatePort } from '../../services/platform/ports/dapr/state.ts';
import { createBackend } from '../support/backends.ts';
import { REDIS_HOST, startSidecarSet, TEST_REDIS_DB } from '../support/dapr-sidecars.ts';
import { type ContractApp, contractTopicSubscribers, portsContract } from './ports.contract.ts';

const MAX_ATTEMPTS = 4;
const STREAM = 'ANYCHAT_CONTRACT';

function daprContract(broker: 'nats' | 'redis', state: 'redis' | 'postgresql') {
  portsContract(`dapr, ${broker} pub/sub, ${state} state`, async (wire) => {
    const apps: ContractApp[] = wire('pubsub');
    const backend = await createBackend('postgresql');
    const stateBackend: StateBackend =
      state === 'redis'
        ? { type: 'redis', redisHost: REDIS_HOST, redisDB: TEST_REDIS_DB }
        : { ...LOCAL_BACKENDS.postgresql, connectionString: localStateConnection(backend.env.DATABASE_URL!) };
    let sidecars: Awaited<ReturnType<typeof startSidecarSet>>;
    try {
      sidecars = await startSidecarSet({
        label: `contract-${broker}`,
        broker,
        stream: { name: STREAM, subjects: ['contract.>'] },
        topics: contractTopicSubscribers(apps),
        stateComponents: (appIds) => [
          ...stateComponents(stateBackend, undefined, appIds),
          // A second store on its own database/tables: two stores on one Redis database would share keys.
          ...stateComponents(
            stateBackend.type === 'postgresql'
              ? { ...stateBackend, tablePrefix: 'other_' }
              : { ...stateBackend, redisDB: TEST_REDIS_DB + 1 },
            { pubsubName: 'pubsub', stateStoreName: 'otherstore', sharedStateStoreName: 'othershared' },
            appIds,
          ),
        ],
        maxDeliveryAttempts: MAX_ATTEMPTS,
        sidecars: [
          ...apps.map((app) => ({
            name: app.instance,
            appId: app.appId,
            inbound: { subscriptions: app.subscriptions, internal: app.internal },
          })),
          { name: 'publisher', appId: 'publisher' },
        ],
      });
    } catch (error) {
      await backend.dispose();
      throw error;
    }
    // The ports under test talk to the sidecar without an app.
    const sidecar = { host: '127.0.0.1', httpPort: sidecars.httpPort('publisher'), daprApiToken: undefined };
    const client = createDaprClient(sidecar);
    return {
      ports: {
        state: new DaprStatePort(client),
        pubsub: new DaprPubSubPort(client),
        pubsubName: 'pubsub',
        invoke: new DaprInvokePort(sidecar),
        sidecarInvokeUrl: (appId, path) =>
          `http://${sidecar.host}:${sidecar.httpPort}/v1.0/invoke/${appId}/method/${path}`,
        maxDeliveryAttempts: MAX_ATTEMPTS,
        acceptsEtagForMissingKey: state === 'redis',
      },
      teardown: async () => {
        await sidecars.stop();
        await backend.dispose();
      },
    };
  });
}

daprContract('nats', 'redis');
daprContract('redis', 'postgresql');
