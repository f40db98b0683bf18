import { type Host, startHost } from '../../services/host.ts';
import { loadConfig } from '../../services/platform/config.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { ApiClient } from './api-client.ts';
import { type Backend, createBackend, requirePostgres } from './backends.ts';

export interface TestPlatform {
  host: Host;
  api: ApiClient;
  backend: Backend;
  stop(): Promise<void>;
}

/** Starts the embedded platform (all services, one process) on a free port over the given backend. */
export async function startPlatform(
  backendName: Backend['name'],
  env: Record<string, string> = {},
): Promise<TestPlatform> {
  const backend = await createBackend(backendName);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NODE_ENV: 'test',
    // Many requests come from one address in tests; the limits themselves are tested with factor 1.
    RATE_LIMIT_FACTOR: '100',
    ...backend.env,
    ...env,
  });
  let host: Host;
  try {
    host = await startHost({ config, logger: createLogger(config.logLevel) });
  } catch (error) {
    await backend.dispose();
    throw error;
  }
  return {
    host,
    api: new ApiClient(host.url),
    backend,
    async stop() {
      await host.stop();
      await backend.dispose();
    },
  };
}

/** Runs a describe block once per backend: the machine's PostgreSQL and embedded PGlite. */
export function forEachBackend(
  title: string,
  body: (getPlatform: () => TestPlatform) => void,
  env: Record<string, string> = {},
) {
  for (const backendName of ['postgresql', 'pglite'] as const) {
    describe(`${title} [${backendName}]`, function () {
      this.timeout(60_000);
      let platform: TestPlatform | undefined;
      before(async function () {
        if (backendName === 'postgresql') await requirePostgres(this);
        platform = await startPlatform(backendName, env);
      });
      after(async () => {
        await platform?.stop();
      });
      body(() => {
        if (!platform) throw new Error('platform not started');
        return platform;
      });
    });
  }
}
