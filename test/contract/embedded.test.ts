import {
  migrate,
  openServiceDatabase,
  sqlExecutor,
  startEmbeddedPostgres,
} from '../../services/platform/db/index.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { EmbeddedInvoker } from '../../services/platform/ports/embedded/invoke.ts';
import { EmbeddedBus } from '../../services/platform/ports/embedded/pubsub.ts';
import { PostgresStatePort } from '../../services/platform/ports/embedded/state.ts';
import { PLATFORM_SCHEMA } from '../../services/registry.ts';
import { createBackend } from '../support/backends.ts';
import { type ContractApp, portsContract } from './ports.contract.ts';

const logger = createLogger('silent');

const MAX_ATTEMPTS = 4;

async function embeddedPorts(url: string, apps: ContractApp[]) {
  const orm = await openServiceDatabase({
    url,
    schema: 'platform',
    entities: [],
    migrations: PLATFORM_SCHEMA.migrations,
    poolMax: 4,
    logger,
  });
  await migrate(orm, 'platform');
  const bus = new EmbeddedBus(logger, { retryDelayMs: 20, maxAttempts: MAX_ATTEMPTS });
  const invoker = new EmbeddedInvoker();
  for (const app of apps) {
    for (const subscription of app.subscriptions) bus.subscribe(app.appId, subscription);
    if (app.internal.length > 0) invoker.register(app.appId, app.internal);
  }
  return {
    ports: {
      state: new PostgresStatePort(sqlExecutor(orm), () => 'contract||'),
      pubsub: bus.port('publisher'),
      pubsubName: 'pubsub',
      invoke: invoker,
      maxDeliveryAttempts: MAX_ATTEMPTS,
    },
    async close() {
      bus.close();
      await orm.close();
    },
  };
}

portsContract('embedded, PGlite', async (apps) => {
  const backend = await createBackend('pglite');
  const db = await startEmbeddedPostgres(backend.env.ANYCHAT_DATA_DIR!);
  const { ports, close } = await embeddedPorts(db.url, apps('pubsub'));
  return {
    ports,
    async teardown() {
      await close();
      await db.stop();
      await backend.dispose();
    },
  };
});

portsContract('embedded, PostgreSQL', async (apps) => {
  const backend = await createBackend('postgresql');
  const { ports, close } = await embeddedPorts(backend.env.DATABASE_URL!, apps('pubsub'));
  return {
    ports,
    async teardown() {
      await close();
      await backend.dispose();
    },
  };
});
