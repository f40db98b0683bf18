/**
 * The ImCluster resource as the operator reads it. The API server has already validated it and
 * filled every default (operator/crd), so optional fields here are only those without defaults.
 */
import { SERVICE_NAMES as PLATFORM_SERVICES, type ServiceName as PlatformService } from '../common/index.ts';
import type { ObservabilityTracing } from './tracing-settings.ts';

export const GROUP = 'im.anychat.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'ImCluster';
export const PLURAL = 'imclusters';
/** Every object the operator writes is applied under this field manager. */
export const FIELD_MANAGER = 'anychat-operator';

/** The services besides the gateway (spec.services), in the order they are listed. */
export type ServiceName = Exclude<PlatformService, 'gateway'>;
export const SERVICE_NAMES = PLATFORM_SERVICES.filter((name): name is ServiceName => name !== 'gateway');

export interface Resources {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

export interface SecretKeyRef {
  name: string;
  key: string;
}

export interface ServiceSpec {
  enabled: boolean;
  replicas: number;
  resources?: Resources;
}

export interface ImClusterSpec {
  image: { repository: string; tag: string; pullPolicy: string };
  version: string;
  mode: 'microservices' | 'consolidated';
  services: Partial<Record<ServiceName, ServiceSpec>>;
  gateway: {
    replicas: number;
    resources?: Resources;
    /** The gateways serve the web client at `/` (WEB_CLIENT); the ingress routes `/` to them. */
    webClient: boolean;
    autoscaling: {
      enabled: boolean;
      minReplicas: number;
      maxReplicas: number;
      targetConnectionsPerPod: number;
      scaleDownStabilizationSeconds: number;
    };
    ingress?: {
      host?: string;
      className?: string;
      tlsSecretName?: string;
      wsPath: string;
      apiPath: string;
      /** Where the ingress's requests come from (TRUSTED_PROXIES): addresses, CIDRs, names or a hop count. */
      trustedProxies?: string;
    };
  };
  dapr: {
    pubsub: { type: 'nats' | 'redis'; secretRef?: SecretKeyRef; streamName: string };
    /** maxConns: connections each PostgreSQL state component of each sidecar may pool (two per pod). */
    stateStore: { type: 'redis' | 'postgresql'; secretRef?: SecretKeyRef; maxConns: number };
    sidecarResources?: Resources;
    logLevel: string;
    tracing: {
      samplingRate: string;
      zipkinEndpoint?: string;
      /** An OTLP receiver (Jaeger v2, an OpenTelemetry Collector) the sidecars send their spans to, host:port. */
      otlp?: { endpoint: string; protocol: 'grpc' | 'http'; secure: boolean };
    };
  };
  database: { secretRef: SecretKeyRef };
  /**
   * S3 or MinIO for the file service (FILE_STORAGE=s3). Unset: the file service keeps files in its
   * pod's directory, which holds only for one replica that never moves.
   */
  objectStorage?: {
    /** e.g. `http://minio.storage:9000` (path-style addressing). */
    endpoint: string;
    region: string;
    bucketPrefix: string;
    accessKeyRef: SecretKeyRef;
    secretKeyRef: SecretKeyRef;
  };
  messages: {
    partitionInterval: 'monthly';
    monthsAhead: number;
    retentionMonths?: number;
    expiredPartitions: 'detach' | 'drop';
  };
  auth: { jwtKeySecretName?: string };
  /** Offline push providers; credentials from Secrets (Web Push always on; the others when set). */
  push?: {
    vapid?: { subject: string; publicKeyRef: SecretKeyRef; privateKeyRef: SecretKeyRef };
    fcm?: { serviceAccountRef: SecretKeyRef };
    apns?: { keyRef: SecretKeyRef; keyId: string; teamId: string; topic: string; sandbox: boolean };
    webhooksRef?: SecretKeyRef;
  };
  /**
   * Identity: where codes and alerts go (SMTP, an HTTP SMS gateway), OpenID Providers to sign in
   * with, and whether administrators need a second factor; credentials from Secrets.
   */
  identity?: {
    smtp?: {
      host: string;
      port: number;
      tls: 'starttls' | 'implicit' | 'none';
      from: string;
      user?: string;
      passwordRef?: SecretKeyRef;
    };
    sms?: { url: string; tokenRef?: SecretKeyRef };
    oidc?: {
      redirectUri?: string;
      providers: Array<{
        id: string;
        name: string;
        issuer: string;
        clientId: string;
        scopes?: string;
        redirectUris?: string[];
        clientSecretRef?: SecretKeyRef;
      }>;
    };
    adminSecondFactor?: 'required' | 'optional';
    /** TOTP_ENCRYPTION_KEYS (`id:base64key[,...]`, the first sealing): unset, each schema keeps a generated key. */
    totpKeysRef?: SecretKeyRef;
  };
  /** Calls: the LiveKit server (clients' URL, the service's API URL when another) and its API key; the secret from a Secret. */
  livekit?: {
    url: string;
    apiUrl?: string;
    apiKey: string;
    apiSecretRef: SecretKeyRef;
    /** LiveKit has Egress workers: meetings may be recorded into the object storage (spec.objectStorage). */
    egress?: boolean;
    /** The object storage's endpoint as the Egress workers reach it, when not at objectStorage.endpoint. */
    egressS3Endpoint?: string;
  };
  /** Traces of the apps and their sidecars (operator/tracing-settings.ts); unset: no tracing. */
  observability?: { tracing?: ObservabilityTracing };
  config?: Record<string, string>;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ComponentStatus {
  ready: number;
  desired: number;
  summary: string;
}

export interface ImClusterStatus {
  phase?: 'Pending' | 'Progressing' | 'Ready' | 'Degraded';
  observedGeneration?: number;
  conditions?: Condition[];
  components?: Record<string, ComponentStatus>;
  gatewayConnections?: number;
  partitions?: string[];
}

export interface ImCluster {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string;
  };
  spec: ImClusterSpec;
  status?: ImClusterStatus;
}

/** The services a cluster runs (gateway included), as Deployment names map to them. */
export function enabledServices(spec: ImClusterSpec): ServiceName[] {
  return SERVICE_NAMES.filter((name) => spec.services[name]?.enabled ?? true);
}
