/**
 * Applies committed migrations for the selected services (SERVICES, default all) and, for the
 * embedded adapter, the platform's own tables (and Dapr's metadata table, see its migration). Used by
 * the cluster's migration Job.
 */
import { migrationResultLine } from '../common/index.ts';
import { loadConfig } from './platform/config.ts';
import { migrate, openServiceDatabase } from './platform/db/index.ts';
import { createLogger } from './platform/logger.ts';
import { PLATFORM_SCHEMA, selectServices } from './registry.ts';

const config = loadConfig();
const logger = createLogger(config.logLevel);
if (!config.databaseUrl) {
  console.error('DATABASE_URL is required (the embedded platform migrates itself at start)');
  process.exit(2);
}
const targets = [
  ...(config.services === 'all' ? [{ ...PLATFORM_SCHEMA, entities: [] }] : []),
  ...selectServices(config.services),
];
let failed = false;
for (const target of targets) {
  const orm = await openServiceDatabase({
    url: config.databaseUrl,
    schema: target.schema,
    entities: target.entities,
    migrations: target.migrations,
    poolMax: 2,
    logger,
  });
  try {
    const applied = await migrate(orm, target.schema);
    console.log(migrationResultLine({ schema: target.schema, applied }));
  } catch (error) {
    failed = true;
    console.error(`${target.schema}: migration failed: ${error instanceof Error ? error.message : error}`);
  } finally {
    await orm.close();
  }
}
process.exitCode = failed ? 1 : 0;
