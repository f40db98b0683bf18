/**
 * The AnyChat operator: reconciles ImCluster resources (operator/README.md).
 * Runs in the cluster with its service account, or locally with the current kubeconfig.
 *   WATCH_NAMESPACE           only this namespace (unset: all)
 *   LEADER_ELECTION_NAMESPACE where the leader Lease lives (default: the pod's namespace, POD_NAMESPACE)
 *   POD_NAME                  this replica's identity in the election (default: host name)
 *   LOG_LEVEL                 pino level (default info)
 *   METRICS_PORT              Prometheus /metrics port (default 9464; 0: none)
 *   OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER_ARG, OTEL_SERVICE_NAME
 *                             traces of the reconcile passes over OTLP (unset endpoint: off; common/tracing-config.ts)
 */
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { ensureJetStreamStream, streamSubjects } from '../common/deploy/index.ts';
import { createLogger } from '../common/index.ts';
import { startTracing } from '../common/tracing.ts';
import { tracingConfigFromEnv } from '../common/tracing-config.ts';
import { Controller } from './controller.ts';
import { EventRecorder } from './events.ts';
import { KubeApi } from './kube.ts';
import { LeaderElector } from './leader.ts';
import { leader, serveOperatorMetrics } from './metrics.ts';
import { maintainClusterPartitions } from './partitions.ts';
import { Reconciler } from './reconcile.ts';

/** The reportingController of the operator's Events (`kubectl get events` shows it as the source). */
export const EVENT_REPORTER = 'anychat.io/operator';

export interface OperatorOptions {
  namespace?: string;
  logLevel?: string;
  /** Replicas elect one leader through a Lease; only the leader reconciles. */
  leaderElection?: { namespace: string; identity: string; leaseDurationSeconds?: number };
}

export interface RunningOperator {
  leading(): boolean;
  stop(): Promise<void>;
}

export function startOperator(config: KubeConfig, options: OperatorOptions = {}): RunningOperator {
  const logger = createLogger((options.logLevel ?? 'info') as Parameters<typeof createLogger>[0]);
  const kube = new KubeApi(config);
  const events = new EventRecorder(config, {
    controller: EVENT_REPORTER,
    instance: options.leaderElection?.identity ?? hostname(),
    logger,
  });
  const reconciler = new Reconciler({
    kube,
    logger,
    events,
    secretValue: (namespace, name, key) => kube.secretValue(namespace, name, key),
    ensureStream: (natsUrl, streamName) =>
      ensureJetStreamStream({ natsUrl, streamName, subjects: streamSubjects() }),
    gatewayConnections: async (podUrl) => {
      const response = await fetch(`${podUrl}/api/v1/gateway/connections`, {
        signal: AbortSignal.timeout(3_000),
      });
      if (!response.ok) throw new Error(`${podUrl}: HTTP ${response.status}`);
      return ((await response.json()) as { data: { connections: number } }).data.connections;
    },
    partitions: (url, cluster) => maintainClusterPartitions(url, cluster.spec.messages),
  });
  let controller: Controller | undefined;
  const startController = () => {
    controller = new Controller({
      kube,
      reconciler,
      logger,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    });
    controller.start();
    leader.set(1);
    logger.info({ namespace: options.namespace ?? 'all' }, 'reconciling');
  };
  const stopController = () => {
    controller?.stop();
    controller = undefined;
    leader.set(0);
  };
  if (!options.leaderElection) {
    startController();
    return {
      leading: () => true,
      stop: async () => {
        stopController();
        await events.flush();
      },
    };
  }
  const elector = new LeaderElector(config, {
    ...options.leaderElection,
    name: 'anychat-operator',
    logger,
    onStartedLeading: startController,
    onStoppedLeading: stopController,
  });
  elector.start();
  return {
    leading: () => elector.leading,
    stop: async () => {
      await elector.stop();
      await events.flush();
    },
  };
}

if (import.meta.main) {
  const tracing = await startTracing(tracingConfigFromEnv(), 'anychat-operator');
  const config = new KubeConfig();
  config.loadFromDefault();
  const operator = startOperator(config, {
    ...(process.env.WATCH_NAMESPACE ? { namespace: process.env.WATCH_NAMESPACE } : {}),
    ...(process.env.LOG_LEVEL ? { logLevel: process.env.LOG_LEVEL } : {}),
    leaderElection: {
      namespace: process.env.LEADER_ELECTION_NAMESPACE ?? process.env.POD_NAMESPACE ?? 'default',
      identity: process.env.POD_NAME ?? hostname(),
    },
  });
  const metricsPort = Number(process.env.METRICS_PORT ?? 9464);
  const metrics = metricsPort > 0 ? await serveOperatorMetrics(metricsPort) : undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      metrics?.close();
      void operator.stop().then(() => tracing?.shutdown());
    });
}
