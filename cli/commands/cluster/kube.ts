/**
 * Reading ImClusters from the Kubernetes API. The resource coordinates are repeated here rather
 * than imported from operator/ so the CLI depends on the CRD (the API), not the operator's code;
 * they must match charts/anychat/files/imclusters.im.anychat.io.yaml.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { CliError, ExitCode, usageError } from '../../exit-codes.ts';

export const IMCLUSTER_GROUP = 'im.anychat.io';
export const IMCLUSTER_VERSION = 'v1alpha1';
export const IMCLUSTER_PLURAL = 'imclusters';

const REQUEST_TIMEOUT_MS = 30_000;

/** The parts of an ImCluster the CLI shows (status as the operator writes it). */
export interface ImClusterObject {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
  };
  status?: {
    phase?: string;
    observedGeneration?: number;
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }>;
    components?: Record<string, { ready?: number; desired?: number; summary?: string }>;
    gatewayConnections?: number;
    partitions?: string[];
  };
}

export interface KubeTarget {
  config: KubeConfig;
  namespace: string;
  /** The API server URL, for messages. */
  server: string;
  context: string;
}

export async function loadKubeTarget(options: {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}): Promise<KubeTarget> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  try {
    if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
    else config.loadFromDefault();
  } catch (error) {
    throw usageError(
      `cannot load the kubeconfig${options.kubeconfig ? ` ${options.kubeconfig}` : ''}: ${(error as Error).message}`,
    );
  }
  if (options.context) {
    if (!config.getContexts().some((context) => context.name === options.context)) {
      const known = config.getContexts().map((context) => context.name);
      throw usageError(
        `no context "${options.context}" in the kubeconfig; known: ${known.join(', ') || 'none'}`,
      );
    }
    config.setCurrentContext(options.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) throw usageError('no Kubernetes cluster configured: pass --kubeconfig or set KUBECONFIG');
  const context = config.getCurrentContext();
  const namespace = options.namespace ?? config.getContextObject(context)?.namespace ?? 'default';
  return { config, namespace, server: cluster.server, context };
}

/** Kubernetes API failures as exit codes; `notFound` says what a 404 means for this request. */
export async function kubeRequest<T>(
  target: KubeTarget,
  request: () => Promise<T>,
  notFound: string,
): Promise<T> {
  const { ApiException } = await import('@kubernetes/client-node');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CliError(
            ExitCode.unreachable,
            `no answer from the Kubernetes API at ${target.server} within ${REQUEST_TIMEOUT_MS / 1000}s`,
          ),
        ),
      REQUEST_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([request(), timeout]);
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (error instanceof ApiException) {
      const reason = kubeMessage(error.body) ?? `HTTP ${error.code}`;
      if (error.code === 404) throw new CliError(ExitCode.notFound, notFound);
      if (error.code === 401)
        throw new CliError(
          ExitCode.auth,
          `the Kubernetes API rejected the credentials of context "${target.context}": ${reason}`,
        );
      if (error.code === 403) {
        throw new CliError(
          ExitCode.permission,
          `forbidden: ${reason}; ask a cluster administrator for get/list on ${IMCLUSTER_PLURAL}.${IMCLUSTER_GROUP}`,
        );
      }
      throw new CliError(ExitCode.failure, `the Kubernetes API failed the request: ${reason}`);
    }
    const cause =
      (error as { cause?: { code?: string }; code?: string }).cause?.code ??
      (error as { code?: string }).code;
    throw new CliError(
      ExitCode.unreachable,
      `cannot reach the Kubernetes API at ${target.server} (${cause ?? (error as Error).message}): check --kubeconfig and --context`,
    );
  } finally {
    clearTimeout(timer);
  }
}

function kubeMessage(body: unknown): string | undefined {
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string };
    return parsed?.message;
  } catch {
    return typeof body === 'string' && body ? body.slice(0, 200) : undefined;
  }
}
