import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { TOPIC_SUBSCRIBERS } from '../common/index.ts';
import { startTracing } from '../common/tracing.ts';
import pkg from '../package.json' with { type: 'json' };
import type { Config } from './platform/config.ts';
import { AuthService } from './platform/contracts/gen/anychat/auth/v1/auth_pb.ts';
import {
  databaseAnswers,
  type EmbeddedPostgres,
  type MikroORM,
  migrate,
  openServiceDatabase,
  sqlExecutor,
  startEmbeddedPostgres,
} from './platform/db/index.ts';
import { createHttpApp, markDraining } from './platform/http/app.ts';
import { clientAddressResolver } from './platform/http/client-address.ts';
import { createMetrics, metricsListener } from './platform/http/metrics.ts';
import {
  liveKitOrigins,
  objectStoreOrigins,
  WEB_DIST_DIR,
  webClientMiddleware,
} from './platform/http/web-client.ts';
import { SnowflakeGenerator } from './platform/ids.ts';
import type { Logger } from './platform/logger.ts';
import { dbPoolMetrics, initTopicMetrics } from './platform/observability/index.ts';
import { createDaprClient, waitForSidecar } from './platform/ports/dapr/client.ts';
import { DaprInvokePort } from './platform/ports/dapr/invoke.ts';
import { DaprPubSubPort } from './platform/ports/dapr/pubsub.ts';
import { DaprStatePort } from './platform/ports/dapr/state.ts';
import { EmbeddedInvoker } from './platform/ports/embedded/invoke.ts';
import { EmbeddedBus } from './platform/ports/embedded/pubsub.ts';
import { PostgresStatePort } from './platform/ports/embedded/state.ts';
import type { InvokePort, PubSubPort, StatePort, StateStore, Subscription } from './platform/ports/index.ts';
import { createAccessTokenVerifier } from './platform/security/index.ts';
import type { ServiceInstance, ServiceModule } from './platform/service.ts';
import { PLATFORM_SCHEMA, selectServices } from './registry.ts';

export interface Host {
  url: string;
  /** Where Prometheus scrapes `/metrics` (METRICS_PORT); undefined when metrics are not served. */
  metricsUrl: string | undefined;
  server: Server;
  app: Koa;
  /** The state store shared by every app (what services get as `sharedState`). */
  sharedState: StateStore;
  /** The database the services use: DATABASE_URL, or the embedded PGlite's loopback address (imctl's database commands). */
  databaseUrl: string;
  /** Embedded adapter only: waits until every published event has been handled. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export interface HostOptions {
  config: Config;
  logger: Logger;
  /** Several hosts in one process (tests) may share one embedded bus and invoker. */
  bus?: EmbeddedBus;
  invoker?: EmbeddedInvoker;
}

interface Adapters {
  state: (appId: string) => StatePort;
  pubsub: (appId: string) => PubSubPort;
  invoke: InvokePort;
  /** Returns the unsubscribe (embedded: hosts sharing a bus must leave it when they stop). */
  subscribe: (appId: string, subscription: Subscription) => () => void;
  serveInternal: (appId: string, instance: ServiceInstance) => void;
  sweep?: () => Promise<unknown>;
  settled: () => Promise<void>;
  close: () => void;
}

const DEFAULT_PORT = 8080;

/** Starts the selected services in this process: databases, adapters, HTTP. */
export async function startHost(options: HostOptions): Promise<Host> {
  const { config, logger } = options;
  const services = selectServices(config.services);
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse())
      await step().catch((error: unknown) => logger.error({ err: error }, 'shutdown step failed'));
  };

  try {
    // First, so that what starts below is traced; last to stop (cleanups run in reverse), so that
    // the shutdown's spans are exported too. Without an endpoint nothing is loaded (common/tracing.ts).
    const tracing = await startTracing(
      config.tracing,
      config.services === 'all' ? 'anychat' : `anychat-${config.services.join('-')}`,
    );
    if (tracing) cleanups.push(() => tracing.shutdown());
    let embeddedDb: EmbeddedPostgres | undefined;
    let databaseUrl = config.databaseUrl;
    // PGlite runs one query at a time, so a few connections per ORM are plenty; the socket server
    // must accept all of them (every service's pool and the platform's), or connections get cut.
    const poolMax = databaseUrl ? config.databasePoolMax : Math.min(config.databasePoolMax, 4);
    if (!databaseUrl) {
      embeddedDb = await startEmbeddedPostgres(config.dataDir, (services.length + 1) * poolMax);
      cleanups.push(() => embeddedDb!.stop());
      databaseUrl = embeddedDb.url;
      logger.info({ dataDir: embeddedDb.dataDir }, 'embedded PostgreSQL (PGlite) started');
    }
    const embedded = config.adapter === 'embedded';
    // The embedded host applies migrations at start; in a cluster a migration Job runs `npm run migrate` first.
    const applyMigrations = embedded || !config.databaseUrl;

    const adapters = embedded
      ? await embeddedAdapters(options, databaseUrl, poolMax, applyMigrations, cleanups)
      : await daprAdapters(config, logger);

    const ids = new SnowflakeGenerator(config.workerId);
    const sharedState = adapters.state('shared').store(config.dapr.sharedStateStoreName);
    const authenticate = createAccessTokenVerifier({
      issuer: config.auth.issuer,
      fetchJwks: async () => {
        const { keys } = await adapters.invoke.call(AuthService.method.getJwks, {});
        // A JWK names only the members its key type has; the contract leaves the others empty.
        return {
          keys: keys.map(({ $typeName: _, ...key }) =>
            Object.fromEntries(Object.entries(key).filter(([, member]) => member !== '')),
          ),
        };
      },
      revocations: sharedState,
    });
    let url = '';
    const publicUrl = () => config.publicUrl ?? url;

    const instances: Array<{ module: ServiceModule; instance: ServiceInstance; orm: MikroORM }> = [];
    const unsubscribes: Array<() => void> = [];
    for (const module of services) {
      const orm = await openServiceDatabase({
        url: databaseUrl,
        schema: module.schema,
        entities: module.entities,
        migrations: module.migrations,
        poolMax,
        logger,
      });
      cleanups.push(() => closeDatabase(orm, config.shutdownTimeoutMs, logger));
      if (applyMigrations) await logApplied(logger, module.schema, await migrate(orm, module.schema));
      const instance = await module.create({
        config,
        logger: logger.child({ service: module.name }),
        orm,
        state: adapters.state(module.name),
        sharedState,
        pubsub: adapters.pubsub(module.name),
        pubsubName: config.dapr.pubsubName,
        invoke: adapters.invoke,
        ids,
        authenticate,
        publicUrl,
      });
      if (instance.stop) cleanups.push(() => instance.stop!());
      if (!embedded) assertSubscriptionsDeclared(module.name, instance.subscriptions);
      adapters.serveInternal(module.name, instance);
      for (const subscription of instance.subscriptions)
        unsubscribes.push(adapters.subscribe(module.name, subscription));
      instances.push({ module, instance, orm });
    }

    const clientAddress = clientAddressResolver(config.trustedProxies);
    const metrics = createMetrics();
    for (const { instance } of instances)
      for (const metric of instance.metrics ?? []) metrics.registry.registerMetric(metric);
    for (const metric of dbPoolMetrics(instances.map(({ module, orm }) => ({ schema: module.schema, orm }))))
      metrics.registry.registerMetric(metric);
    initTopicMetrics(instances.flatMap(({ instance }) => instance.subscriptions.map(({ topic }) => topic)));
    const app = createHttpApp({
      logger,
      clientAddress,
      metrics,
      bodyLimitKb: config.httpBodyLimitKb,
      routes: instances.flatMap(({ instance }) => instance.routes),
      rawHandlers: instances.flatMap(({ instance }) => instance.rawHandlers ?? []),
      documents: Object.assign({}, ...instances.map(({ instance }) => instance.documents ?? {})),
      authenticators: {
        user: authenticate,
        admin: instances.find(({ instance }) => instance.adminAccess)?.instance.adminAccess,
      },
      version: pkg.version,
      ready: async () => {
        for (const { orm } of instances) if (!(await databaseAnswers(orm))) return false;
        return true;
      },
      ...(embedded
        ? {}
        : {
            dapr: {
              appApiToken: config.dapr.appApiToken,
              maxDeliveryAttempts: config.dapr.maxDeliveryAttempts,
              subscriptions: instances.flatMap(({ instance }) => instance.subscriptions),
              internal: instances.flatMap(({ instance }) => instance.internal),
            },
          }),
    });
    // The embedded platform is the whole product on one port: it serves the web client and /docs too.
    // In the cluster shape the gateways serve the client (WEB_CLIENT); the API reference only where
    // one process serves every route, or it would document a part of the API as the whole.
    if (config.webClient)
      app.use(
        webClientMiddleware(WEB_DIST_DIR, logger, {
          docs: config.services === 'all',
          defaultLanguage: config.defaultLanguage,
          connect: liveKitOrigins(config.rtc.livekit?.url),
          files: objectStoreOrigins(
            config.file.storage.type === 's3' ? config.file.storage.endpoint : undefined,
          ),
        }),
      );
    const server = createServer(app.callback());
    const upgrades = instances.flatMap(({ instance }) => instance.upgrades ?? []);
    server.on('upgrade', (request, socket, head) => {
      const path = new URL(request.url ?? '/', 'http://host').pathname;
      const endpoint = upgrades.find((candidate) => candidate.path === path);
      if (endpoint) return endpoint.handle(request, socket, head);
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    const port = await listen(server, config.host, config.port);
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    url = `http://${host}:${port}`;
    let metricsUrl: string | undefined;
    if (config.metricsPort !== undefined) {
      const metricsServer = createServer(metricsListener(metrics.registry));
      const boundPort = await listenOn(metricsServer, config.host, config.metricsPort);
      cleanups.push(() => closeServer(metricsServer, 0));
      metricsUrl = `http://${host}:${boundPort}/metrics`;
    }

    let sweeper: NodeJS.Timeout | undefined;
    if (adapters.sweep) {
      sweeper = setInterval(
        () =>
          void adapters.sweep!().catch((error: unknown) => logger.warn({ err: error }, 'state sweep failed')),
        60_000,
      );
      sweeper.unref();
    }

    return {
      url,
      metricsUrl,
      server,
      app,
      sharedState,
      databaseUrl,
      settled: adapters.settled,
      async stop() {
        markDraining(app);
        clearInterval(sweeper);
        for (const { instance } of instances)
          await instance.drain?.().catch((error: unknown) => logger.error({ err: error }, 'drain failed'));
        await closeServer(server, config.shutdownTimeoutMs);
        // A shutdown is bounded (a pod has a grace period): deliveries still waiting to be retried
        // then, e.g. while the database is down, are left rather than holding the process forever.
        if (!(await settlesWithin(adapters.settled(), config.shutdownTimeoutMs)))
          logger.warn(
            { timeoutMs: config.shutdownTimeoutMs },
            'event deliveries still retrying at shutdown were left unfinished',
          );
        for (const unsubscribe of unsubscribes) unsubscribe();
        adapters.close();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function embeddedAdapters(
  options: HostOptions,
  databaseUrl: string,
  poolMax: number,
  applyMigrations: boolean,
  cleanups: Array<() => Promise<unknown>>,
): Promise<Adapters> {
  const { config, logger } = options;
  const platformOrm = await openServiceDatabase({
    url: databaseUrl,
    schema: PLATFORM_SCHEMA.schema,
    entities: [],
    migrations: PLATFORM_SCHEMA.migrations,
    poolMax,
    logger,
  });
  cleanups.push(() => closeDatabase(platformOrm, config.shutdownTimeoutMs, logger));
  if (applyMigrations)
    await logApplied(logger, PLATFORM_SCHEMA.schema, await migrate(platformOrm, PLATFORM_SCHEMA.schema));
  const sql = sqlExecutor(platformOrm);
  const ownBus = !options.bus;
  const bus = options.bus ?? new EmbeddedBus(logger, { maxAttempts: config.dapr.maxDeliveryAttempts });
  const invoker = options.invoker ?? new EmbeddedInvoker(logger);
  const shared = config.dapr.sharedStateStoreName;
  // Expiry sweeps span every store and app, so they need no key prefix.
  const sweeper = new PostgresStatePort(sql, () => '');
  return {
    // Like Dapr's default keyPrefix (appid), except for the shared store (keyPrefix none).
    state: (appId) => new PostgresStatePort(sql, (store) => (store === shared ? '' : `${appId}||`)),
    pubsub: (appId) => bus.port(appId),
    invoke: invoker,
    subscribe: (appId, subscription) => bus.subscribe(appId, subscription),
    serveInternal: (appId, instance) => invoker.register(appId, instance.internal),
    sweep: () => sweeper.sweepExpired(),
    settled: () => bus.idle(),
    close: () => {
      if (ownBus) bus.close();
    },
  };
}

async function daprAdapters(config: Config, logger: Logger): Promise<Adapters> {
  const sidecar = {
    host: config.dapr.host,
    httpPort: config.dapr.httpPort,
    daprApiToken: config.dapr.daprApiToken,
  };
  await waitForSidecar(sidecar, config.dapr.startupTimeoutSeconds * 1000, logger);
  const client = createDaprClient(sidecar);
  const state = new DaprStatePort(client);
  const pubsub = new DaprPubSubPort(client);
  return {
    state: () => state,
    pubsub: () => pubsub,
    invoke: new DaprInvokePort(sidecar),
    // The sidecar learns subscriptions from GET /dapr/subscribe.
    subscribe: () => () => {},
    // Contract services are served to the sidecar over HTTP (dapr/inbound.ts).
    serveInternal: () => {},
    settled: async () => {},
    close: () => {},
  };
}

/**
 * Each app-scoped topic is read through its own Dapr component, scoped to the apps listed in
 * TOPIC_SUBSCRIBERS; a subscription missing there would silently never be delivered, so refuse to start.
 */
function assertSubscriptionsDeclared(appId: string, subscriptions: Subscription[]): void {
  for (const { topic, scope } of subscriptions) {
    if (scope === 'instance') continue;
    if (!TOPIC_SUBSCRIBERS[topic]?.includes(appId))
      throw new Error(
        `${appId} subscribes to "${topic}", which TOPIC_SUBSCRIBERS (common/topics.ts) does not list for it; add it there and regenerate the Dapr components (npm run dapr:components)`,
      );
  }
}

async function logApplied(logger: Logger, schema: string, applied: string[]) {
  if (applied.length > 0) logger.info({ schema, applied }, 'migrations applied');
}

function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The configured port; without one, 8080 or else any free port. */
async function listen(server: Server, host: string, port: number | undefined): Promise<number> {
  if (port !== undefined) return listenOn(server, host, port);
  try {
    return await listenOn(server, host, DEFAULT_PORT);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return listenOn(server, host, 0);
  }
}

/**
 * Closes a service's connection pool, waiting at most `timeoutMs`. A pool's end waits for every
 * connection to come back; those the database cut mid-transaction are handed back by
 * `releaseDeadConnections`, and anything else a holder keeps must still not stop the process from
 * stopping.
 */
async function closeDatabase(orm: { close(): Promise<void> }, timeoutMs: number, logger: Logger) {
  if (!(await settlesWithin(orm.close(), timeoutMs)))
    logger.warn({ timeoutMs }, 'a database pool did not close in time (a connection still held); left');
}

/** Whether `settled` resolves within `timeoutMs`. */
async function settlesWithin(settled: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, false);
  });
  try {
    return await Promise.race([settled.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops accepting connections, lets in-flight requests finish, then cuts what is left. */
function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
