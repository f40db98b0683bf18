import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Metric } from 'prom-client';
import type { Config } from './config.ts';
import type { EntitySchema, MigrationObject, MikroORM } from './db/index.ts';
import type { AdminAccess, AnyRoute, RawHandler } from './http/routes.ts';
import type { SnowflakeGenerator } from './ids.ts';
import type { Logger } from './logger.ts';
import type { InvokePort, PubSubPort, StatePort, StateStore, Subscription } from './ports/index.ts';
import type { InternalService } from './ports/internal-service.ts';
import type { AccessTokenVerifier } from './security/access-tokens.ts';

/** Everything a service gets from its host; nothing else reaches it. */
export interface ServiceContext {
  config: Config;
  logger: Logger;
  /** The service's own database (its own PostgreSQL schema). */
  orm: MikroORM;
  /** State stores of this app (keys prefixed with the app-id, as Dapr does). */
  state: StatePort;
  /** The store shared by every app: session revocations, presence. */
  sharedState: StateStore;
  pubsub: PubSubPort;
  pubsubName: string;
  invoke: InvokePort;
  ids: SnowflakeGenerator;
  authenticate: AccessTokenVerifier;
  /** Base URL clients reach this deployment at (PUBLIC_URL, or the embedded host's own address). */
  publicUrl: () => string;
}

/** What a running service offers its host. */
export interface ServiceInstance {
  routes: AnyRoute[];
  subscriptions: Subscription[];
  /** The contract services (proto/anychat/<name>/v1) other services call (`invoke.call(method, input)`). */
  internal: InternalService[];
  /** JSON documents served as they are at their paths, beside /api/v1/openapi.json (the gateway's AsyncAPI). */
  documents?: Record<string, unknown>;
  /** Requests it answers itself, outside the JSON envelope (the file service's local store URLs). */
  rawHandlers?: RawHandler[];
  /** HTTP upgrades it takes over (the gateway's WebSocket endpoint). */
  upgrades?: Array<{ path: string; handle(request: IncomingMessage, socket: Duplex, head: Buffer): void }>;
  /** Prometheus metrics of its own, served with the host's at /metrics. */
  metrics?: Metric[];
  /** Checks the callers of admin routes (the admin service only). */
  adminAccess?: AdminAccess;
  /** First step of shutdown: stop taking work and let clients go (they reconnect elsewhere). */
  drain?(): Promise<void>;
  stop?(): Promise<void>;
}

/** The shape every service module exports from its index.ts. */
export interface ServiceModule {
  /** Service name = Dapr app-id. */
  name: string;
  /** PostgreSQL schema it owns. */
  schema: string;
  entities: EntitySchema[];
  migrations: MigrationObject[];
  create(context: ServiceContext): Promise<ServiceInstance>;
}
