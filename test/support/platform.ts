import { type Host, startHost } from '../../services/host.ts';
import { loadConfig } from '../../services/platform/config.ts';
import { createLogger, type Logger } from '../../services/platform/logger.ts';
import { EmbeddedInvoker } from '../../services/platform/ports/embedded/invoke.ts';
import { EmbeddedBus } from '../../services/platform/ports/embedded/pubsub.ts';
import { ApiClient } from './api-client.ts';
import { type Backend, createBackend, requirePostgres } from './backends.ts';

export interface TestPlatform {
  host: Host;
  api: ApiClient;
  backend: Backend;
  /** The platform's embedded pub/sub: tests publish events on it as another service would. */
  bus: EmbeddedBus;
  /** Name of the pub/sub component the services subscribe on. */
  pubsubName: string;
  /** The platform's embedded service invocation: tests call internal methods as another service would. */
  invoker: EmbeddedInvoker;
  /** Stops the host as a process would stop and starts a new one on the same database (new bus and invoker). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Configuration of a test host: a free loopback port, quiet logs, raised per-address limits. */
export function testConfig(env: Record<string, string | undefined>) {
  return loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NODE_ENV: 'test',
    // Many requests come from one address in tests; the limits themselves are tested with factor 1.
    RATE_LIMIT_FACTOR: '100',
    // Nine pools per platform on the machine's PostgreSQL (README "Sizing PostgreSQL connections").
    DATABASE_POOL_MAX: '3',
    // Administrators sign in with a password alone in suites not about the second factor; the
    // suites about it (test/identity) run with the default, `required`.
    ADMIN_SECOND_FACTOR: 'optional',
    ...env,
  });
}

export interface PlatformOptions {
  /** Where the platform logs (e.g. a captureLogs() logger a test reads); quiet by default. */
  logger?: Logger;
}

/** Starts the embedded platform (all services, one process) on a free port over the given backend. */
export async function startPlatform(
  backendName: Backend['name'],
  env: Record<string, string> = {},
  options: PlatformOptions = {},
): Promise<TestPlatform> {
  const backend = await createBackend(backendName);
  const config = testConfig({ ...backend.env, ...env });
  const logger = options.logger ?? createLogger(config.logLevel);
  const start = async () => {
    const bus = new EmbeddedBus(logger);
    const invoker = new EmbeddedInvoker(logger);
    try {
      const host = await startHost({ config, logger, bus, invoker });
      return { host, bus, invoker, api: new ApiClient(host.url) };
    } catch (error) {
      bus.close();
      throw error;
    }
  };
  let running: Awaited<ReturnType<typeof start>>;
  try {
    running = await start();
  } catch (error) {
    await backend.dispose();
    throw error;
  }
  const halt = async () => {
    await running.host.stop();
    running.bus.close();
  };
  const platform: TestPlatform = {
    ...running,
    backend,
    pubsubName: config.dapr.pubsubName,
    async restart() {
      await halt();
      running = await start();
      Object.assign(platform, running);
    },
    async stop() {
      await halt();
      await backend.dispose();
    },
  };
  return platform;
}

/** Runs a describe block once per backend: the machine's PostgreSQL and embedded PGlite. */
export function forEachBackend(
  title: string,
  body: (getPlatform: () => TestPlatform) => void,
  env: Record<string, string> = {},
  options: PlatformOptions = {},
) {
  for (const backendName of ['postgresql', 'pglite'] as const) {
    describe(`${title} [${backendName}]`, function () {
      this.timeout(60_000);
      let platform: TestPlatform | undefined;
      before(async function () {
        if (backendName === 'postgresql') await requirePostgres(this);
        platform = await startPlatform(backendName, env, options);
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
