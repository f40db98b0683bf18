/**
 * The Dapr resources an AnyChat deployment runs with, built from one description so that the
 * self-hosted files in components/, the test clusters and the operator agree. Which broker and
 * which state store are used is a matter of these resources alone; the services never know.
 *
 * Pub/sub wiring: services publish through `<pubsub>` and read each app-scoped topic through its own
 * component `<pubsub>-<topic with dots as dashes>` (see topicComponent), scoped to the apps
 * in TOPIC_SUBSCRIBERS. On NATS JetStream that component holds one durable consumer per app with
 * the app's replicas in one queue group; on Redis Streams, one consumer group per app.
 */
import { SERVICE_NAMES } from '../services.ts';
import { TOPIC_SUBSCRIBERS, topicComponent, topicFamilies } from '../topics.ts';

export type PubSubBackend =
  | { type: 'nats'; natsUrl: string; streamName: string }
  | { type: 'redis'; redisHost: string; redisDB?: number };

export type StateBackend =
  | { type: 'redis'; redisHost: string; redisDB?: number }
  | {
      type: 'postgresql';
      connectionString: string;
      tablePrefix?: string;
      maxConns?: number;
      /** Dapr's connectionMaxIdleTime (a Go duration). */
      maxIdleTime?: string;
    };

/**
 * Connections one PostgreSQL state component may pool; each sidecar has two (the app's store and the
 * shared one). Dapr's own default is the larger of 4 and the node's CPU count: it grows with the
 * machine, not the load, and every replica's sidecar multiplies it, so it is always set here. Dapr
 * ignores values below 2. README "Sizing PostgreSQL connections" has the whole budget.
 */
export const POSTGRES_STATE_MAX_CONNS = 4;

/**
 * How long a sidecar keeps an idle PostgreSQL state connection. Each store opens two at start (its
 * migration holds a lock in one and migrates in the other) and Dapr keeps idle ones 30 minutes by
 * default, so every pod would hold four it rarely uses. The pool closes them at its next check
 * (every minute).
 */
export const POSTGRES_STATE_MAX_IDLE_TIME = '1m';

export interface DaprResourceNames {
  pubsubName: string;
  stateStoreName: string;
  sharedStateStoreName: string;
}

export const DEFAULT_RESOURCE_NAMES: DaprResourceNames = {
  pubsubName: 'pubsub',
  stateStoreName: 'statestore',
  sharedStateStoreName: 'sharedstate',
};

export interface DaprResource {
  apiVersion: 'dapr.io/v1alpha1';
  kind: 'Component' | 'Configuration' | 'Resiliency';
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
  scopes?: string[];
}

type Metadata = Array<{ name: string; value: string }>;
const meta = (values: Record<string, string | number | undefined>): Metadata =>
  Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ({ name, value: String(value) }));

function component(name: string, type: string, metadata: Metadata, scopes?: readonly string[]): DaprResource {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Component',
    metadata: { name },
    spec: { type, version: 'v1', metadata },
    ...(scopes ? { scopes: [...scopes] } : {}),
  };
}

/**
 * How long JetStream waits for an acknowledgement before redelivering: longer than the sidecar's own
 * retries of one event (see resiliency), so an event is never processed twice at once.
 */
const ACK_WAIT = '45s';

/** Consumer names may not contain dots, wildcards or spaces. */
const consumerSlug = (topic: string) => topic.replaceAll('.', '-');

export interface PubSubOptions {
  backend: PubSubBackend;
  names?: DaprResourceNames;
  topics?: Readonly<Record<string, readonly string[]>>;
  apps?: readonly string[];
}

/** The publishing component (also read by instance-scoped topics) and one component per subscribed topic. */
export function pubsubComponents(options: PubSubOptions): DaprResource[] {
  const { backend } = options;
  const names = options.names ?? DEFAULT_RESOURCE_NAMES;
  const topics = options.topics ?? TOPIC_SUBSCRIBERS;
  const apps = options.apps ?? SERVICE_NAMES;
  const connection =
    backend.type === 'nats'
      ? { natsURL: backend.natsUrl, streamName: backend.streamName }
      : { redisHost: backend.redisHost, redisDB: backend.redisDB };
  const type = backend.type === 'nats' ? 'pubsub.jetstream' : 'pubsub.redis';
  const resources = [
    component(
      names.pubsubName,
      type,
      backend.type === 'nats'
        ? // Instance-scoped reads: an ephemeral consumer per sidecar, from now on.
          meta({ ...connection, deliverPolicy: 'new', ackWait: ACK_WAIT })
        : meta({ ...connection, redeliverInterval: '2s', processingTimeout: '10s', maxLenApprox: 100_000 }),
      apps,
    ),
  ];
  for (const [topic, subscribers] of Object.entries(topics)) {
    if (subscribers.length === 0) continue;
    const name = topicComponent(names.pubsubName, topic);
    resources.push(
      component(
        name,
        type,
        backend.type === 'nats'
          ? meta({
              ...connection,
              // One durable consumer per (app, topic); an app's replicas share it as a queue group.
              durableName: `{appID}-${consumerSlug(topic)}`,
              queueGroupName: '{appID}',
              deliverPolicy: 'all',
              ackWait: ACK_WAIT,
              concurrency: 'parallel',
            })
          : meta({
              ...connection,
              // consumerID defaults to the app-id: one consumer group per app.
              redeliverInterval: '2s',
              processingTimeout: '10s',
              concurrency: 10,
              maxLenApprox: 100_000,
            }),
        subscribers,
      ),
    );
  }
  return resources;
}

/** Per-app state (keys prefixed with the app-id) and the shared store (no prefix): revocations, presence. */
export function stateComponents(
  backend: StateBackend,
  names: DaprResourceNames = DEFAULT_RESOURCE_NAMES,
  apps: readonly string[] = SERVICE_NAMES,
): DaprResource[] {
  const type = backend.type === 'redis' ? 'state.redis' : 'state.postgresql';
  const connection = (table: string) =>
    backend.type === 'redis'
      ? { redisHost: backend.redisHost, redisDB: backend.redisDB }
      : {
          connectionString: backend.connectionString,
          tablePrefix: `${backend.tablePrefix ?? 'dapr_'}${table}_`,
          maxConns: backend.maxConns ?? POSTGRES_STATE_MAX_CONNS,
          connectionMaxIdleTime: backend.maxIdleTime ?? POSTGRES_STATE_MAX_IDLE_TIME,
        };
  const version = backend.type === 'postgresql' ? 'v2' : 'v1';
  return [
    component(names.stateStoreName, type, meta(connection('app')), apps),
    component(names.sharedStateStoreName, type, meta({ ...connection('shared'), keyPrefix: 'none' }), apps),
  ].map((resource) => ({ ...resource, spec: { ...resource.spec, version } }));
}

/**
 * Redelivery of a failed event happens inside the sidecar, with backoff, `maxDeliveryAttempts` times in
 * all; the app answers DROP (logged, counted) on the last one (PUBSUB_MAX_DELIVERY_ATTEMPTS, keep the
 * two equal). Brokers differ after a failure the sidecar gives up on — Dapr's Redis Streams component
 * acknowledges it, JetStream redelivers it — so the bound is kept here, the same on both. Broker
 * redelivery remains for what a crash left unacknowledged (JetStream ackWait, Redis processingTimeout).
 */
export function resiliency(componentNames: string[], maxDeliveryAttempts = 10): DaprResource {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Resiliency',
    metadata: { name: 'anychat' },
    spec: {
      policies: {
        retries: {
          eventRedelivery: { policy: 'exponential', maxInterval: '5s', maxRetries: maxDeliveryAttempts - 1 },
        },
      },
      targets: {
        components: Object.fromEntries(
          componentNames.map((name) => [name, { inbound: { retry: 'eventRedelivery' } }]),
        ),
      },
    },
  };
}

/**
 * The Dapr Configuration of a self-hosted run: no mTLS or placement, and name resolution through a
 * SQLite file every sidecar on the machine shares (mDNS is often unavailable in sandboxes and CI).
 */
export function selfHostedConfiguration(nameResolutionDb: string): DaprResource {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Configuration',
    metadata: { name: 'anychat' },
    spec: {
      nameResolution: { component: 'sqlite', configuration: { connectionString: nameResolutionDb } },
      tracing: { samplingRate: '0' },
      metric: { enabled: true },
    },
  };
}

/** Subjects the JetStream stream must hold: every topic family, per-instance gateway topics included. */
export function streamSubjects(topics: Iterable<string> = Object.keys(TOPIC_SUBSCRIBERS)): string[] {
  return topicFamilies(topics).map((family) => `${family}.>`);
}
