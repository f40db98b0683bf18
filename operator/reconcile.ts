/**
 * One reconcile of one ImCluster: a thin sequence of ensure steps, each idempotent, then the status.
 * Children are applied with server-side apply and owned by the cluster (garbage-collected with it);
 * children the spec no longer asks for are deleted; status goes only through /status.
 */

import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { Logger } from '../common/index.ts';
import { Conditions } from './conditions.ts';
import {
  CLUSTER_LABEL,
  type Decisions,
  desiredChildren,
  type KubeObject,
  labels,
  migrationJob,
  migrationJobName,
  SIGNING_KEY_FIELD,
  signingKeySecretName,
  workloads,
} from './desired.ts';
import { type KubeApi, NotFoundError } from './kube.ts';
import { assessReadiness } from './readiness.ts';
import { GatewayScaler } from './scaling.ts';
import type { ComponentStatus, ImCluster } from './spec.ts';

/** Kinds the operator creates and therefore prunes. */
const PRUNED_KINDS: Array<[apiVersion: string, kind: string]> = [
  ['v1', 'ConfigMap'],
  ['v1', 'Service'],
  ['apps/v1', 'Deployment'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['dapr.io/v1alpha1', 'Component'],
  ['dapr.io/v1alpha1', 'Configuration'],
  ['dapr.io/v1alpha1', 'Resiliency'],
];

export interface ReconcileResult {
  /** Come back after this long even without a change (waiting for pods, partitions daily). */
  requeueAfterMs: number;
}

export interface ReconcilerOptions {
  kube: KubeApi;
  logger: Logger;
  /** Maintains the message partitions of a database; returns the partitions that exist. */
  partitions: (databaseUrl: string, cluster: ImCluster) => Promise<string[]>;
  /** Open connections of one gateway pod (its `/api/v1/gateway/connections`). */
  gatewayConnections: (podUrl: string) => Promise<number>;
  /** Creates or updates the JetStream stream of a NATS-backed cluster (Dapr does not create it). */
  ensureStream: (natsUrl: string, streamName: string) => Promise<void>;
  /** Reads a Secret's key (the database URL of a cluster). */
  secretValue: (namespace: string, name: string, key: string) => Promise<string>;
  now?: () => Date;
}

interface PodSpec {
  containers: Array<{ ports?: Array<{ name?: string; containerPort: number }> }>;
}

interface PodStatus {
  podIP?: string;
  conditions?: Array<{ type: string; status: string }>;
}

export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #scaler = new GatewayScaler();

  constructor(options: ReconcilerOptions) {
    this.#o = options;
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult | undefined> {
    let cluster: ImCluster;
    try {
      cluster = await this.#o.kube.getCluster(namespace, name);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined; // deleted: its children go with it
      throw error;
    }
    if (cluster.metadata.deletionTimestamp) return undefined;
    const now = this.#o.now ?? (() => new Date());
    const conditions = new Conditions(cluster.status?.conditions, cluster.metadata.generation, now);

    await this.ensureSigningKey(cluster);
    const scale = await this.ensureGatewayScale(cluster, conditions);
    const decisions = scale ? { gatewayReplicas: scale.replicas } : {};
    const migrated = await this.ensureMigration(cluster, conditions);
    if (migrated) {
      await this.ensureChildren(cluster, decisions);
      await this.pruneRemoved(cluster, decisions);
    }
    await this.ensureBroker(cluster, conditions);
    const partitions = await this.ensurePartitions(cluster, conditions);
    const components = await this.readComponents(cluster, decisions);
    const phase = assessReadiness(conditions, migrated, components);
    await this.#o.kube.applyStatus(cluster, {
      phase,
      observedGeneration: cluster.metadata.generation,
      conditions: conditions.list(),
      components,
      ...(partitions ? { partitions } : {}),
      ...(scale ? { gatewayConnections: scale.connections } : {}),
    });
    // Connections change without any Kubernetes event: an autoscaled cluster is looked at often.
    const autoscaled = cluster.spec.gateway.autoscaling.enabled;
    return { requeueAfterMs: phase === 'Ready' && !autoscaled ? 5 * 60_000 : 5_000 };
  }

  /** The version's migration Job must have succeeded before services roll to it. */
  async ensureMigration(cluster: ImCluster, conditions: Conditions): Promise<boolean> {
    const job = await this.#o.kube.apply(migrationJob(cluster));
    const status = (job as { status?: { succeeded?: number; failed?: number } }).status;
    if ((status?.succeeded ?? 0) > 0) {
      conditions.set('MigrationsApplied', 'True', 'JobSucceeded', `${migrationJobName(cluster)} succeeded`);
      return true;
    }
    // A cluster that ran before keeps its workloads while a new version migrates.
    const failed = (status?.failed ?? 0) > 0;
    conditions.set(
      'MigrationsApplied',
      'False',
      failed ? 'JobFailing' : 'JobRunning',
      `${migrationJobName(cluster)} ${failed ? 'has failed attempts' : 'is running'}; services roll after it succeeds`,
    );
    return false;
  }

  /**
   * The access-token signing key, generated once when its Secret is absent and never touched again:
   * rotating it would sign every user out. The Secret has no owner reference, so it outlives the
   * ImCluster (a re-created installation keeps its users' sessions).
   */
  async ensureSigningKey(cluster: ImCluster): Promise<void> {
    const secretName = signingKeySecretName(cluster);
    try {
      await this.#o.kube.secretValue(cluster.metadata.namespace, secretName, SIGNING_KEY_FIELD);
      return;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'ES256' };
    const created = await this.#o.kube.createSecretIfAbsent(
      cluster.metadata.namespace,
      secretName,
      { [SIGNING_KEY_FIELD]: JSON.stringify(jwk) },
      labels(cluster, 'auth'),
    );
    if (created)
      this.#o.logger.info({ cluster: cluster.metadata.name, secret: secretName }, 'signing key generated');
  }

  /** Sums the open connections of the ready gateway pods and decides the gateway replicas. */
  async ensureGatewayScale(
    cluster: ImCluster,
    conditions: Conditions,
  ): Promise<{ connections: number; replicas: number } | undefined> {
    const { autoscaling } = cluster.spec.gateway;
    const key = `${cluster.metadata.namespace}/${cluster.metadata.name}`;
    if (!autoscaling.enabled) {
      this.#scaler.forget(key);
      return undefined;
    }
    const pods = await this.#o.kube.list<KubeObject & { spec: PodSpec; status?: PodStatus }>(
      'v1',
      'Pod',
      cluster.metadata.namespace,
      `${CLUSTER_LABEL}=${cluster.metadata.name},app.kubernetes.io/component=gateway`,
    );
    let connections = 0;
    let unreadable = 0;
    for (const pod of pods) {
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (!ready || !pod.status?.podIP) continue;
      const port =
        pod.spec.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === 'http')?.containerPort ??
        8080;
      try {
        connections += await this.#o.gatewayConnections(`http://${pod.status.podIP}:${port}`);
      } catch {
        unreadable++;
      }
    }
    const replicas = this.#scaler.recommend(key, connections, autoscaling);
    conditions.set(
      'Scaled',
      unreadable > 0 ? 'False' : 'True',
      unreadable > 0 ? 'ConnectionsUnreadable' : 'FollowingConnections',
      `${connections} connections over ${pods.length} gateway pods → ${replicas} replicas (target ${autoscaling.targetConnectionsPerPod} per pod)${unreadable > 0 ? `; ${unreadable} pods did not answer` : ''}`,
    );
    return { connections, replicas };
  }

  async ensureChildren(cluster: ImCluster, decisions: Decisions = {}): Promise<void> {
    for (const child of desiredChildren(cluster, decisions)) await this.#o.kube.apply(child);
  }

  /** Deletes children the spec no longer asks for (a disabled service, a removed ingress). */
  async pruneRemoved(cluster: ImCluster, decisions: Decisions = {}): Promise<void> {
    const wanted = new Set(desiredChildren(cluster, decisions).map((o) => `${o.kind}/${o.metadata.name}`));
    const selector = `${CLUSTER_LABEL}=${cluster.metadata.name}`;
    for (const [apiVersion, kind] of PRUNED_KINDS) {
      const existing = await this.#o.kube.list<KubeObject>(
        apiVersion,
        kind,
        cluster.metadata.namespace,
        selector,
      );
      for (const object of existing) {
        if (wanted.has(`${kind}/${object.metadata.name}`)) continue;
        this.#o.logger.info({ cluster: cluster.metadata.name, kind, name: object.metadata.name }, 'removing');
        await this.#o.kube.delete({ ...object, apiVersion, kind });
      }
    }
  }

  /** NATS JetStream needs its stream before the first publish; Redis Streams need nothing. */
  async ensureBroker(cluster: ImCluster, conditions: Conditions): Promise<void> {
    const { pubsub } = cluster.spec.dapr;
    if (pubsub.type !== 'nats') {
      conditions.set('BrokerReady', 'True', 'NothingToPrepare', 'Redis Streams are created on first use');
      return;
    }
    if (!pubsub.secretRef) {
      conditions.set(
        'BrokerReady',
        'False',
        'NoSecret',
        'spec.dapr.pubsub.secretRef names no Secret with the NATS URL',
      );
      return;
    }
    try {
      const url = await this.#o.secretValue(
        cluster.metadata.namespace,
        pubsub.secretRef.name,
        pubsub.secretRef.key,
      );
      await this.#o.ensureStream(url, pubsub.streamName);
      conditions.set(
        'BrokerReady',
        'True',
        'StreamReady',
        `JetStream stream ${pubsub.streamName} holds every topic`,
      );
    } catch (error) {
      conditions.set(
        'BrokerReady',
        'False',
        'StreamFailed',
        error instanceof Error ? error.message : String(error),
      );
    }
  }

  async ensurePartitions(cluster: ImCluster, conditions: Conditions): Promise<string[] | undefined> {
    const ref = cluster.spec.database.secretRef;
    try {
      const url = await this.#o.secretValue(cluster.metadata.namespace, ref.name, ref.key);
      const partitions = await this.#o.partitions(url, cluster);
      conditions.set(
        'PartitionsReady',
        'True',
        'Maintained',
        `${partitions.length} monthly partitions of message.messages`,
      );
      return partitions;
    } catch (error) {
      conditions.set(
        'PartitionsReady',
        'False',
        'MaintenanceFailed',
        error instanceof Error ? error.message : String(error),
      );
      return cluster.status?.partitions;
    }
  }

  async readComponents(
    cluster: ImCluster,
    decisions: Decisions = {},
  ): Promise<Record<string, ComponentStatus>> {
    const components: Record<string, ComponentStatus> = {};
    for (const workload of workloads(cluster, decisions)) {
      let ready = 0;
      try {
        const deployment = await this.#o.kube.get<KubeObject & { status?: { readyReplicas?: number } }>({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: {
            name: `${cluster.metadata.name}-${workload.workload}`,
            namespace: cluster.metadata.namespace,
          },
        });
        ready = deployment.status?.readyReplicas ?? 0;
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      components[workload.workload] = {
        ready,
        desired: workload.replicas,
        summary: `${ready}/${workload.replicas}`,
      };
    }
    return components;
  }
}
