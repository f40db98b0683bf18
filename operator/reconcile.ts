/**
 * One reconcile of one ImCluster: a thin sequence of ensure steps, each idempotent, then the status.
 * Children are applied with server-side apply and owned by the cluster (garbage-collected with it);
 * children the spec no longer asks for are deleted; status goes only through /status.
 */

import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { Logger, PartitionReport } from '../common/index.ts';
import { AppliedObjects } from './applied.ts';
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
import type { EventRecorder } from './events.ts';
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
  /** Maintains the message partitions of a database: what it created, dropped, detached, and what exists. */
  partitions: (databaseUrl: string, cluster: ImCluster) => Promise<PartitionReport>;
  /** Open connections of one gateway pod (its `/api/v1/gateway/connections`). */
  gatewayConnections: (podUrl: string) => Promise<number>;
  /** Creates or updates the JetStream stream of a NATS-backed cluster (Dapr does not create it). */
  ensureStream: (natsUrl: string, streamName: string) => Promise<void>;
  /** Reads a Secret's key (the database URL of a cluster). */
  secretValue: (namespace: string, name: string, key: string) => Promise<string>;
  /** Kubernetes Events on the ImCluster: what was done (Normal) and what failed (Warning). */
  events: EventRecorder;
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
  readonly #applied: AppliedObjects;

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#applied = new AppliedObjects(options.kube);
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
    try {
      return await this.#reconcileSteps(cluster);
    } catch (error) {
      await this.#o.events.warning(cluster, failureReason(error), 'Reconcile', messageOf(error));
      throw error;
    }
  }

  async #reconcileSteps(cluster: ImCluster): Promise<ReconcileResult> {
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
    const job = await this.#applyChild(cluster, migrationJob(cluster));
    const status = (job as { status?: { succeeded?: number; failed?: number } }).status;
    if ((status?.succeeded ?? 0) > 0) {
      const message = `${migrationJobName(cluster)} succeeded`;
      const previous = conditions.get('MigrationsApplied');
      conditions.set('MigrationsApplied', 'True', 'JobSucceeded', message);
      if (previous?.status !== 'True' || previous.message !== message)
        await this.#o.events.normal(cluster, 'Migrated', 'Migrate', message);
      return true;
    }
    // A cluster that ran before keeps its workloads while a new version migrates.
    const failed = (status?.failed ?? 0) > 0;
    const message = `${migrationJobName(cluster)} ${failed ? 'has failed attempts' : 'is running'}; services roll after it succeeds`;
    conditions.set('MigrationsApplied', 'False', failed ? 'JobFailing' : 'JobRunning', message);
    if (failed) await this.#o.events.warning(cluster, 'JobFailing', 'Migrate', message);
    return false;
  }

  /** Applies one child; a Normal event says when that created or changed it. */
  async #applyChild<T extends KubeObject>(cluster: ImCluster, child: T): Promise<T> {
    const { object, outcome } = await this.#applied.apply(child);
    if (outcome !== 'unchanged')
      await this.#o.events.normal(
        cluster,
        outcome === 'created' ? 'Created' : 'Updated',
        'Apply',
        `${child.kind}/${child.metadata.name}`,
      );
    return object;
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
    if (created) {
      this.#o.logger.info({ cluster: cluster.metadata.name, secret: secretName }, 'signing key generated');
      await this.#o.events.normal(
        cluster,
        'Created',
        'Apply',
        `Secret/${secretName} (access-token signing key)`,
      );
    }
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
    const message = `${connections} connections over ${pods.length} gateway pods → ${replicas} replicas (target ${autoscaling.targetConnectionsPerPod} per pod)${unreadable > 0 ? `; ${unreadable} pods did not answer` : ''}`;
    conditions.set(
      'Scaled',
      unreadable > 0 ? 'False' : 'True',
      unreadable > 0 ? 'ConnectionsUnreadable' : 'FollowingConnections',
      message,
    );
    if (unreadable > 0) await this.#o.events.warning(cluster, 'ConnectionsUnreadable', 'Scale', message);
    // The replicas the last status reported: a decision that differs is a scaling.
    const before = cluster.status?.components?.gateway?.desired;
    if (before !== undefined && before !== replicas)
      await this.#o.events.normal(
        cluster,
        'Scaled',
        'Scale',
        `gateway ${before} → ${replicas} replicas (${connections} connections, target ${autoscaling.targetConnectionsPerPod} per pod)`,
      );
    return { connections, replicas };
  }

  async ensureChildren(cluster: ImCluster, decisions: Decisions = {}): Promise<void> {
    for (const child of desiredChildren(cluster, decisions)) await this.#applyChild(cluster, child);
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
        this.#applied.forget({ ...object, apiVersion, kind });
        await this.#o.events.normal(cluster, 'Deleted', 'Delete', `${kind}/${object.metadata.name}`);
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
      const message = 'spec.dapr.pubsub.secretRef names no Secret with the NATS URL';
      conditions.set('BrokerReady', 'False', 'NoSecret', message);
      await this.#o.events.warning(cluster, 'NoSecret', 'PrepareBroker', message);
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
      conditions.set('BrokerReady', 'False', 'StreamFailed', messageOf(error));
      await this.#o.events.warning(cluster, 'StreamFailed', 'PrepareBroker', messageOf(error));
    }
  }

  async ensurePartitions(cluster: ImCluster, conditions: Conditions): Promise<string[] | undefined> {
    const ref = cluster.spec.database.secretRef;
    try {
      const url = await this.#o.secretValue(cluster.metadata.namespace, ref.name, ref.key);
      const report = await this.#o.partitions(url, cluster);
      const partitions = report.partitions.map((partition) => partition.name);
      conditions.set(
        'PartitionsReady',
        'True',
        'Maintained',
        `${partitions.length} monthly partitions of message.messages`,
      );
      for (const [reason, names] of [
        ['PartitionsCreated', report.created],
        ['PartitionsDetached', report.detached],
        ['PartitionsDropped', report.dropped],
      ] as const)
        if (names.length > 0)
          await this.#o.events.normal(
            cluster,
            reason,
            'MaintainPartitions',
            `message.messages: ${names.join(', ')}`,
          );
      return partitions;
    } catch (error) {
      conditions.set('PartitionsReady', 'False', 'MaintenanceFailed', messageOf(error));
      await this.#o.events.warning(cluster, 'MaintenanceFailed', 'MaintainPartitions', messageOf(error));
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

/**
 * What went wrong, in words that stay the same while the failure does: the API server's own message
 * rather than the client's exception text (which carries response headers, dates and audit ids, and
 * would make every repeat a different Event).
 */
function messageOf(error: unknown): string {
  const { code, body } = (error ?? {}) as { code?: unknown; body?: unknown };
  if (typeof code === 'number' && body !== undefined) {
    try {
      const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown };
      if (typeof status.message === 'string') return `HTTP ${code}: ${status.message}`;
    } catch {}
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * An object the API server refused because of what the spec asked for is InvalidSpec: the spec must
 * change. That is a 422 (invalid), or the 500 server-side apply answers when a value cannot even be
 * converted to the object's type (a resource quantity such as "lots", which the CRD's schema lets
 * through). A 422 for an immutable field is not the spec's fault: ReconcileFailed, as is the rest.
 */
function failureReason(error: unknown): 'InvalidSpec' | 'ReconcileFailed' {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = messageOf(error);
  const invalid =
    (code === 422 && !message.includes('field is immutable')) ||
    (code === 500 && message.includes('failed to convert new object'));
  return invalid ? 'InvalidSpec' : 'ReconcileFailed';
}
