/**
 * Host entry point. `SERVICES=all` (the default) runs every service in this process with the
 * embedded adapters and, without DATABASE_URL, an embedded PostgreSQL: `npm start` on a laptop.
 * `SERVICES=auth` (etc.) runs one service with its Dapr sidecar: the cluster shape.
 */
import { startHost } from './host.ts';
import { ConfigError, loadConfig } from './platform/config.ts';
import { createLogger } from './platform/logger.ts';

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const host = await startHost({ config, logger });
  const services = config.services === 'all' ? 'all services' : config.services.join(', ');
  logger.info({ url: host.url, adapter: config.adapter }, 'AnyChat is up');
  // Printed before the line below, which scripts wait for.
  if (host.metricsUrl) console.log(`Prometheus metrics: ${host.metricsUrl}`);
  if (config.adapter === 'embedded')
    console.log(`Web client: ${host.url}/  — API reference: ${host.url}/docs`);
  console.log(
    `AnyChat (${services}, ${config.adapter}) is serving ${host.url}  — API under ${host.url}/api/v1, docs at ${host.url}/api/v1/openapi.json`,
  );
  if (!config.databaseUrl) {
    // The embedded database listens on loopback only, on a port chosen at each start.
    console.log(
      `Embedded PostgreSQL: ${host.databaseUrl}  — first admin: imctl admin create --username root --database-url ${host.databaseUrl}`,
    );
  }

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  await host.stop();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('AnyChat failed to start:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
