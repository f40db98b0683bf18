/**
 * The AnyChat operator: reconciles ImCluster resources (operator/README.md).
 * Runs in the cluster with its service account, or locally with the current kubeconfig.
 *   WATCH_NAMESPACE   only this namespace (unset: all)
 *   LOG_LEVEL         pino level (default info)
 */
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../services/platform/logger.ts';
import { Controller } from './controller.ts';
import { KubeApi } from './kube.ts';
import { maintainClusterPartitions } from './partitions.ts';
import { Reconciler } from './reconcile.ts';

export function startOperator(config: KubeConfig, options: { namespace?: string; logLevel?: string } = {}) {
  const logger = createLogger((options.logLevel ?? 'info') as Parameters<typeof createLogger>[0]);
  const kube = new KubeApi(config);
  const reconciler = new Reconciler({
    kube,
    logger,
    secretValue: (namespace, name, key) => kube.secretValue(namespace, name, key),
    partitions: async (url, cluster) =>
      (await maintainClusterPartitions(url, cluster.spec.messages)).partitions.map((p) => p.name),
  });
  const controller = new Controller({
    kube,
    reconciler,
    logger,
    ...(options.namespace ? { namespace: options.namespace } : {}),
  });
  controller.start();
  logger.info({ namespace: options.namespace ?? 'all' }, 'operator started');
  return controller;
}

if (import.meta.main) {
  const config = new KubeConfig();
  config.loadFromDefault();
  const controller = startOperator(config, {
    ...(process.env.WATCH_NAMESPACE ? { namespace: process.env.WATCH_NAMESPACE } : {}),
    ...(process.env.LOG_LEVEL ? { logLevel: process.env.LOG_LEVEL } : {}),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.stop());
}
