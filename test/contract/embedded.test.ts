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
import { portsContract } from './ports.contract.ts';

const logger = createLogger('silent');

async function embeddedPorts(url: string) {
  const orm = await openServiceDatabase({
    url,
    schema: 'platform',
    entities: [],
    migrations: PLATFORM_SCHEMA.migrations,
    poolMax: 4,
    logger,
  });
  await migrate(orm, 'platform');
  const bus = new EmbeddedBus(logger, { retryDelayMs: 20 });
  const invoker = new EmbeddedInvoker();
  return {
    ports: {
      state: new PostgresStatePort(sqlExecutor(orm), () => 'contract||'),
      pubsub: bus.port('publisher'),
      pubsubName: 'pubsub',
      subscribe: (appId: string, subscription: Parameters<EmbeddedBus['subscribe']>[1]) =>
        void bus.subscribe(appId, subscription),
      invoke: invoker,
      serve: (appId: string, handlers: Parameters<EmbeddedInvoker['register']>[1]) =>
        invoker.register(appId, handlers),
    },
    async close() {
      bus.close();
      await orm.close();
    },
  };
}

portsContract('embedded, PGlite', async () => {
  const backend = await createBackend('pglite');
  const db = await startEmbeddedPostgres(backend.env.ANYCHAT_DATA_DIR!);
  const { ports, close } = await embeddedPorts(db.url);
  return {
    ports,
    async teardown() {
      await close();
      await db.stop();
      await backend.dispose();
    },
  };
});

portsContract('embedded, PostgreSQL', async () => {
  const backend = await createBackend('postgresql');
  const { ports, close } = await embeddedPorts(backend.env.DATABASE_URL!);
  return {
    ports,
    async teardown() {
      await close();
      await backend.dispose();
    },
  };
});
