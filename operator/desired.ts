/**
 * What an ImCluster should consist of, as plain Kubernetes objects: pure functions of the resource,
 * so every reconcile applies the same full intent under one field manager (server-side apply).
 */

import { createHash } from 'node:crypto';
import {
  type DaprResource,
  DEFAULT_RESOURCE_NAMES,
  pubsubComponents,
  resiliency,
  stateComponents,
} from '../common/deploy/index.ts';
import { ENTRY_POINTS, SERVICE_NAMES } from '../common/index.ts';
import { identityConfig, identitySecrets } from './identity-settings.ts';
import { livekitConfig, livekitSecrets } from './livekit-settings.ts';
import { pushConfig, pushSecrets } from './push-settings.ts';
import {
  API_VERSION,
  enabledServices,
  type ImCluster,
  KIND,
  type Resources,
  type SecretKeyRef,
} from './spec.ts';
import { sidecarOtel, tracingEnv } from './tracing-settings.ts';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
  };
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export const CLUSTER_LABEL = 'im.anychat.io/cluster';
const APP_PORT = 8080;
/** Prometheus `/metrics` of every app (METRICS_PORT): a port of its own, which the ingress never routes. */
export const METRICS_PORT = 9464;

export function labels(cluster: ImCluster, component?: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'anychat',
    'app.kubernetes.io/instance': cluster.metadata.name,
    'app.kubernetes.io/managed-by': 'anychat-operator',
    [CLUSTER_LABEL]: cluster.metadata.name,
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
  };
}

function owned(cluster: ImCluster, object: KubeObject, component?: string): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      namespace: cluster.metadata.namespace,
      labels: { ...labels(cluster, component), ...object.metadata.labels },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: KIND,
          name: cluster.metadata.name,
          uid: cluster.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
  };
}

const name = (cluster: ImCluster, part: string) => `${cluster.metadata.name}-${part}`;
const secretEnv = (envName: string, ref: SecretKeyRef) => ({
  name: envName,
  valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
});

/** What the operator decided beyond the spec: gateway replicas from connections (autoscaling). */
export interface Decisions {
  gatewayReplicas?: number;
}

/** The Deployments of a cluster: workload name → the services it runs. */
export function workloads(
  cluster: ImCluster,
  decisions: Decisions = {},
): Array<{ workload: string; services: string[]; replicas: number; resources?: Resources }> {
  const { spec } = cluster;
  const services = enabledServices(spec);
  const list =
    spec.mode === 'consolidated'
      ? services.length > 0
        ? [
            {
              workload: 'core',
              services: [...services],
              replicas: Math.max(...services.map((s) => spec.services[s]?.replicas ?? 1)),
            },
          ]
        : []
      : services.map((service) => ({
          workload: service,
          services: [service as string],
          replicas: spec.services[service]?.replicas ?? 1,
          ...(spec.services[service]?.resources ? { resources: spec.services[service]!.resources } : {}),
        }));
  return [
    ...list,
    {
      workload: 'gateway',
      services: ['gateway'],
      replicas: spec.gateway.autoscaling.enabled
        ? (decisions.gatewayReplicas ?? spec.gateway.autoscaling.minReplicas)
        : spec.gateway.replicas,
      ...(spec.gateway.resources ? { resources: spec.gateway.resources } : {}),
    },
  ];
}

/** The Secret holding the access-token signing key: the spec's, or `<cluster>-jwt`. */
export function signingKeySecretName(cluster: ImCluster): string {
  return cluster.spec.auth.jwtKeySecretName ?? name(cluster, 'jwt');
}
export const SIGNING_KEY_FIELD = 'signing-key.jwk';

export function configMap(cluster: ImCluster): KubeObject {
  const { messages } = cluster.spec;
  return owned(cluster, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: name(cluster, 'config') },
    data: {
      ANYCHAT_ADAPTER: 'dapr',
      HOST: '0.0.0.0',
      PORT: String(APP_PORT),
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      METRICS_PORT: String(METRICS_PORT),
      // Client addresses (per-address limits, audit log) come from the ingress's X-Forwarded-For.
      ...(cluster.spec.gateway.ingress?.trustedProxies
        ? { TRUSTED_PROXIES: cluster.spec.gateway.ingress.trustedProxies }
        : {}),
      MESSAGE_PARTITIONS_MANAGED_BY: 'operator',
      MESSAGE_PARTITION_MONTHS_AHEAD: String(messages.monthsAhead),
      MESSAGE_EXPIRED_PARTITIONS: messages.expiredPartitions,
      ...(messages.retentionMonths ? { MESSAGE_RETENTION_MONTHS: String(messages.retentionMonths) } : {}),
      ...objectStorageConfig(cluster),
      ...pushConfig(cluster),
      ...livekitConfig(cluster),
      ...identityConfig(cluster),
      ...cluster.spec.config,
    },
  });
}

/** The file service's object store settings; its credentials reach only the pods that run it (container). */
function objectStorageConfig(cluster: ImCluster): Record<string, string> {
  const storage = cluster.spec.objectStorage;
  if (!storage) return {};
  return {
    FILE_STORAGE: 's3',
    FILE_S3_ENDPOINT: storage.endpoint,
    FILE_S3_REGION: storage.region,
    FILE_BUCKET_PREFIX: storage.bucketPrefix,
  };
}

/**
 * What Kubernetes' "restricted" Pod Security level asks of a pod, so namespaces that enforce it
 * admit AnyChat: the image's unprivileged user by number (runAsNonRoot can only verify a number).
 */
const POD_SECURITY = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
};
const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

function container(
  cluster: ImCluster,
  services: string[],
  resources: Resources | undefined,
  command?: string[],
) {
  const { image } = cluster.spec;
  return {
    name: 'anychat',
    image: `${image.repository}:${image.tag}`,
    imagePullPolicy: image.pullPolicy,
    ...(command ? { command } : {}),
    envFrom: [{ configMapRef: { name: name(cluster, 'config') } }],
    env: [
      { name: 'SERVICES', value: services.join(',') },
      secretEnv('DATABASE_URL', cluster.spec.database.secretRef),
      // Each gateway pod reads its own delivery topic, named after the pod.
      { name: 'GATEWAY_INSTANCE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ...(services.includes('gateway')
        ? [{ name: 'WEB_CLIENT', value: String(cluster.spec.gateway.webClient) }]
        : []),
      ...(services.includes('auth') || services.includes('all')
        ? [secretEnv('AUTH_SIGNING_KEY', { name: signingKeySecretName(cluster), key: SIGNING_KEY_FIELD })]
        : []),
      ...(cluster.spec.objectStorage && (services.includes('file') || services.includes('all'))
        ? [
            secretEnv('FILE_S3_ACCESS_KEY', cluster.spec.objectStorage.accessKeyRef),
            secretEnv('FILE_S3_SECRET_KEY', cluster.spec.objectStorage.secretKeyRef),
          ]
        : []),
      ...pushSecrets(cluster, services).map(([envName, ref]) => secretEnv(envName, ref)),
      ...livekitSecrets(cluster, services).map(([envName, ref]) => secretEnv(envName, ref)),
      ...identitySecrets(cluster, services).map(([envName, ref]) => secretEnv(envName, ref)),
      ...tracingEnv(cluster),
    ],
    ports: [
      { name: 'http', containerPort: APP_PORT },
      { name: 'metrics', containerPort: METRICS_PORT },
    ],
    ...(resources ? { resources } : {}),
    securityContext: CONTAINER_SECURITY,
  };
}

export function deployment(cluster: ImCluster, workload: ReturnType<typeof workloads>[number]): KubeObject {
  const { dapr } = cluster.spec;
  const sidecar = dapr.sidecarResources;
  const podLabels = { ...labels(cluster, workload.workload) };
  const selector = {
    [CLUSTER_LABEL]: cluster.metadata.name,
    'app.kubernetes.io/component': workload.workload,
  };
  const appContainer = container(cluster, workload.services, workload.resources);
  return owned(
    cluster,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: name(cluster, workload.workload) },
      spec: {
        replicas: workload.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: podLabels,
            annotations: {
              'dapr.io/enabled': 'true',
              // One app-id per workload: a service's name, or `core` for the consolidated services.
              'dapr.io/app-id': workload.services.length === 1 ? workload.services[0]! : workload.workload,
              'dapr.io/app-port': String(APP_PORT),
              'dapr.io/config': name(cluster, 'dapr'),
              'dapr.io/log-level': dapr.logLevel,
              'dapr.io/enable-app-health-check': 'true',
              'dapr.io/app-health-check-path': '/readyz',
              // The app's own metrics for Prometheus' pod discovery (the sidecar's are on Dapr's port).
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': String(METRICS_PORT),
              'prometheus.io/path': '/metrics',
              ...(sidecar?.requests?.cpu
                ? { 'dapr.io/sidecar-cpu-request': String(sidecar.requests.cpu) }
                : {}),
              ...(sidecar?.requests?.memory
                ? { 'dapr.io/sidecar-memory-request': String(sidecar.requests.memory) }
                : {}),
              ...(sidecar?.limits?.cpu ? { 'dapr.io/sidecar-cpu-limit': String(sidecar.limits.cpu) } : {}),
              ...(sidecar?.limits?.memory
                ? { 'dapr.io/sidecar-memory-limit': String(sidecar.limits.memory) }
                : {}),
            },
          },
          spec: {
            // Gateways drain (clients told to reconnect elsewhere) before they stop.
            terminationGracePeriodSeconds: workload.workload === 'gateway' ? 60 : 30,
            securityContext: POD_SECURITY,
            containers: [
              {
                ...appContainer,
                livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
                readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5 },
              },
            ],
          },
        },
      },
    },
    workload.workload,
  );
}

export function service(cluster: ImCluster, workload: string): KubeObject {
  return owned(
    cluster,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: name(cluster, workload) },
      spec: {
        selector: { [CLUSTER_LABEL]: cluster.metadata.name, 'app.kubernetes.io/component': workload },
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          // For scrapers that discover Services (ServiceMonitor); the Ingress routes only `http`.
          { name: 'metrics', port: METRICS_PORT, targetPort: 'metrics' },
        ],
      },
    },
    workload,
  );
}

export function podDisruptionBudget(cluster: ImCluster, workload: string): KubeObject {
  return owned(
    cluster,
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: name(cluster, workload) },
      spec: {
        maxUnavailable: 1,
        selector: {
          matchLabels: { [CLUSTER_LABEL]: cluster.metadata.name, 'app.kubernetes.io/component': workload },
        },
      },
    },
    workload,
  );
}

/** WSS to the gateways, HTTPS to the REST API (path-routed to the services behind it). */
export function ingress(cluster: ImCluster): KubeObject | undefined {
  const spec = cluster.spec.gateway.ingress;
  if (!spec?.host) return undefined;
  const backend = (workload: string) => ({
    service: { name: name(cluster, workload), port: { name: 'http' } },
  });
  const apiBase = `${spec.apiPath.replace(/\/$/, '')}/v1`;
  const apiRoutes = workloads(cluster)
    .filter((w) => w.workload !== 'gateway')
    .flatMap((w) =>
      w.services.map((serviceName) => ({
        path: `${apiBase}/${ROUTE_PREFIX[serviceName] ?? serviceName}`,
        pathType: 'Prefix',
        backend: backend(w.workload),
      })),
    );
  // The WebSocket protocol's AsyncAPI document is served by the gateways, beside the REST API.
  const asyncApi = { path: `${apiBase}/asyncapi.json`, pathType: 'Exact', backend: backend('gateway') };
  return owned(cluster, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: name(cluster, 'ingress'),
      annotations: {
        // WebSockets stay open for hours; heartbeats keep them alive.
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
      },
    },
    spec: {
      ...(spec.className ? { ingressClassName: spec.className } : {}),
      ...(spec.tlsSecretName ? { tls: [{ hosts: [spec.host], secretName: spec.tlsSecretName }] } : {}),
      rules: [
        {
          host: spec.host,
          http: {
            paths: [
              { path: spec.wsPath, pathType: 'Prefix', backend: backend('gateway') },
              asyncApi,
              ...apiRoutes,
              // The longest matching prefix wins: the web client gets whatever the API does not take.
              ...(cluster.spec.gateway.webClient
                ? [{ path: '/', pathType: 'Prefix', backend: backend('gateway') }]
                : []),
            ],
          },
        },
      ],
    },
  });
}

/** The first path segment under /api/v1 each service serves. */
const ROUTE_PREFIX: Record<string, string> = {
  auth: 'auth',
  user: 'users',
  friend: 'friends',
  group: 'groups',
  session: 'sessions',
  message: 'messages',
  file: 'files',
};

/** The Dapr Components (connection strings from the spec's Secrets) and the Configuration. */
export function daprResources(cluster: ImCluster): KubeObject[] {
  const { dapr } = cluster.spec;
  const observability = cluster.spec.observability?.tracing;
  const appIds = [...SERVICE_NAMES, 'core'];
  const secretRef = (ref: SecretKeyRef | undefined, fallback: SecretKeyRef) => ref ?? fallback;
  const databaseRef = cluster.spec.database.secretRef;
  const pubsub = pubsubComponents({
    backend:
      dapr.pubsub.type === 'nats'
        ? { type: 'nats', natsUrl: 'from-secret', streamName: dapr.pubsub.streamName }
        : { type: 'redis', redisHost: 'from-secret' },
    apps: appIds,
  });
  const state = stateComponents(
    dapr.stateStore.type === 'redis'
      ? { type: 'redis', redisHost: 'from-secret' }
      : { type: 'postgresql', connectionString: 'from-secret', maxConns: dapr.stateStore.maxConns },
    DEFAULT_RESOURCE_NAMES,
    appIds,
  );
  // Connection settings come from the spec's Secrets, never written into the Component itself.
  const fromSecret = (resource: DaprResource, ref: SecretKeyRef): KubeObject => {
    const metadata = (resource.spec.metadata as Array<{ name: string; value: string }>).map((entry) =>
      entry.value === 'from-secret'
        ? { name: entry.name, secretKeyRef: { name: ref.name, key: ref.key } }
        : entry,
    );
    return owned(cluster, {
      apiVersion: resource.apiVersion,
      kind: resource.kind,
      metadata: { name: resource.metadata.name },
      spec: { ...resource.spec, metadata },
      ...(resource.scopes ? { scopes: resource.scopes } : {}),
      auth: { secretStore: 'kubernetes' },
    });
  };
  const resiliencyResource = resiliency(pubsub.map((c) => c.metadata.name));
  return [
    ...pubsub.map((c) => fromSecret(c, secretRef(dapr.pubsub.secretRef, databaseRef))),
    ...state.map((c) => fromSecret(c, secretRef(dapr.stateStore.secretRef, databaseRef))),
    owned(cluster, {
      apiVersion: resiliencyResource.apiVersion,
      kind: resiliencyResource.kind,
      metadata: { name: name(cluster, 'resiliency') },
      spec: resiliencyResource.spec,
    }),
    owned(cluster, {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Configuration',
      metadata: { name: name(cluster, 'dapr') },
      spec: {
        tracing: {
          // spec.observability.tracing: the sidecars sample as the apps do and send to the same backend
          // (an OTLP receiver named in spec.dapr.tracing.otlp still wins for the sidecars).
          samplingRate: observability?.samplingRate ?? dapr.tracing.samplingRate,
          ...(dapr.tracing.zipkinEndpoint
            ? { zipkin: { endpointAddress: dapr.tracing.zipkinEndpoint } }
            : {}),
          // The sidecars' spans join the apps' by W3C traceparent (service invocation carries it).
          ...(dapr.tracing.otlp
            ? {
                otel: {
                  endpointAddress: dapr.tracing.otlp.endpoint,
                  protocol: dapr.tracing.otlp.protocol,
                  isSecure: dapr.tracing.otlp.secure,
                },
              }
            : observability
              ? { otel: sidecarOtel(observability) }
              : {}),
        },
        metric: { enabled: true },
      },
    }),
  ];
}

/** The migration Job's pod template: what it runs, with which image and settings. */
function migrationTemplate(cluster: ImCluster) {
  return {
    metadata: { labels: labels(cluster, 'migrate') },
    spec: {
      restartPolicy: 'OnFailure',
      securityContext: POD_SECURITY,
      containers: [container(cluster, ['all'], undefined, ['node', ENTRY_POINTS.migrate])],
    },
  };
}

/** The migration Job of a version: it must succeed before services roll to that version. */
export function migrationJob(cluster: ImCluster): KubeObject {
  return owned(
    cluster,
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: migrationJobName(cluster) },
      spec: { backoffLimit: 6, template: migrationTemplate(cluster) },
    },
    'migrate',
  );
}

/**
 * The version's Job, and a hash of its pod template: a Job's template cannot change once created
 * (the API server answers 422 to every apply), so a new image or database Secret under the same
 * version is a new Job that migrates again (migrations that ran are skipped), as a Deployment's
 * pod-template-hash makes a new ReplicaSet.
 */
export function migrationJobName(cluster: ImCluster): string {
  const version = cluster.spec.version.replace(/[^a-z0-9-]/gi, '-').toLowerCase();
  const template = createHash('sha256')
    .update(JSON.stringify(migrationTemplate(cluster)))
    .digest('hex');
  return name(cluster, `migrate-${version}-${template.slice(0, 8)}`);
}

/** Every child of the cluster once its migration has succeeded. */
export function desiredChildren(cluster: ImCluster, decisions: Decisions = {}): KubeObject[] {
  const all = workloads(cluster, decisions);
  return [
    configMap(cluster),
    ...daprResources(cluster),
    ...all.map((w) => deployment(cluster, w)),
    ...all.map((w) => service(cluster, w.workload)),
    ...all.map((w) => podDisruptionBudget(cluster, w.workload)),
    ...[ingress(cluster)].filter((object): object is KubeObject => object !== undefined),
  ];
}
