import { defineCommand } from '../../command.ts';
import { formatAge } from '../../duration.ts';
import { ExitCode } from '../../exit-codes.ts';
import { print, renderFields, renderTable } from '../../output.ts';
import { type ClusterEvents, readClusterEvents, renderEvents } from './events.ts';
import {
  IMCLUSTER_GROUP,
  IMCLUSTER_PLURAL,
  IMCLUSTER_VERSION,
  type ImClusterObject,
  kubeRequest,
  loadKubeTarget,
} from './kube.ts';

interface Args {
  name?: string;
  namespace?: string;
  allNamespaces?: boolean;
  kubeconfig?: string;
  context?: string;
}

/** What `--output json` prints per cluster: identity plus the status exactly as the operator wrote it. */
function summarize(cluster: ImClusterObject) {
  return {
    name: cluster.metadata.name,
    namespace: cluster.metadata.namespace,
    generation: cluster.metadata.generation,
    createdAt: cluster.metadata.creationTimestamp,
    status: cluster.status ?? {},
  };
}
type ClusterSummary = ReturnType<typeof summarize>;

function gateways(summary: ClusterSummary): string {
  const gateway = summary.status.components?.gateway;
  if (!gateway) return '-';
  return gateway.summary ?? `${gateway.ready ?? 0}/${gateway.desired ?? 0}`;
}

function renderList(items: ClusterSummary[], withNamespace: boolean): string {
  if (items.length === 0) return 'No ImClusters found.';
  return renderTable(items, [
    ...(withNamespace ? [{ header: 'Namespace', value: (c: ClusterSummary) => c.namespace }] : []),
    { header: 'Name', value: (c) => c.name },
    { header: 'Phase', value: (c) => c.status.phase ?? 'Unknown' },
    { header: 'Gateways', value: gateways },
    { header: 'Connections', value: (c) => c.status.gatewayConnections },
    { header: 'Age', value: (c) => formatAge(c.createdAt) },
  ]);
}

function renderOne(cluster: ClusterSummary & ClusterEvents): string {
  const { status } = cluster;
  const behind =
    status.observedGeneration !== undefined && status.observedGeneration !== cluster.generation
      ? ' (the operator has not caught up with the spec yet)'
      : '';
  const fields = renderFields([
    ['Name', cluster.name],
    ['Namespace', cluster.namespace],
    ['Phase', status.phase ?? 'Unknown (no status yet: is the operator running?)'],
    ['Generation', `${cluster.generation ?? '-'}, observed ${status.observedGeneration ?? '-'}${behind}`],
    ['Gateway connections', status.gatewayConnections],
    ['Partitions', status.partitions?.length ? status.partitions.join(', ') : undefined],
    ['Age', formatAge(cluster.createdAt)],
  ]);
  const conditions = renderTable(status.conditions ?? [], [
    { header: 'Type', value: (c) => c.type },
    { header: 'Status', value: (c) => c.status },
    { header: 'Reason', value: (c) => c.reason },
    { header: 'Age', value: (c) => formatAge(c.lastTransitionTime) },
    { header: 'Message', value: (c) => c.message },
  ]);
  const components = renderTable(Object.entries(status.components ?? {}), [
    { header: 'Component', value: ([name]) => name },
    { header: 'Ready', value: ([, c]) => c.ready },
    { header: 'Desired', value: ([, c]) => c.desired },
  ]);
  return `${fields}\n\nConditions:\n${conditions}\n\nComponents:\n${components}\n\n${renderEvents(cluster)}`;
}

export const clusterStatus = defineCommand<Args>({
  command: 'status [name]',
  describe:
    'Show ImClusters from Kubernetes: phase, conditions, components, partitions, connections; for one, its recent Events',
  examples: [
    ['imctl cluster status', 'every ImCluster in the current namespace'],
    ['imctl cluster status chat -n anychat', 'conditions, components and recent Events of one cluster'],
    ['imctl cluster status --all-namespaces --context prod', 'all clusters of another context'],
  ],
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', describe: 'One ImCluster (default: list them)' })
      .option('namespace', {
        alias: 'n',
        type: 'string',
        describe: 'Namespace (default: the context\'s, else "default")',
      })
      .option('all-namespaces', {
        alias: 'A',
        type: 'boolean',
        describe: 'List ImClusters of every namespace',
      })
      .option('kubeconfig', {
        type: 'string',
        describe: 'Kubeconfig file (default: $KUBECONFIG or ~/.kube/config)',
      })
      .option('context', { type: 'string', describe: 'Kubeconfig context (default: the current one)' })
      .conflicts('all-namespaces', 'namespace'),
  async run(args) {
    const target = await loadKubeTarget(args);
    const { CustomObjectsApi } = await import('@kubernetes/client-node');
    const api = target.config.makeApiClient(CustomObjectsApi);
    const resource = { group: IMCLUSTER_GROUP, version: IMCLUSTER_VERSION, plural: IMCLUSTER_PLURAL };
    const crdMissing = `the Kubernetes API at ${target.server} has no ImCluster resource: is the AnyChat chart (charts/anychat) installed?`;

    if (args.name) {
      const cluster = (await kubeRequest(
        target,
        () => api.getNamespacedCustomObject({ ...resource, namespace: target.namespace, name: args.name! }),
        `ImCluster "${args.name}" not found in namespace "${target.namespace}": \`imctl cluster status -n ${target.namespace}\` lists them (or pass -n)`,
      )) as ImClusterObject;
      const events = cluster.metadata.uid
        ? await readClusterEvents(target, target.namespace, cluster.metadata.uid)
        : { events: [] };
      print(args.output, { ...summarize(cluster), ...events }, renderOne);
      return ExitCode.ok;
    }
    const list = (await kubeRequest(
      target,
      () =>
        args.allNamespaces
          ? api.listClusterCustomObject(resource)
          : api.listNamespacedCustomObject({ ...resource, namespace: target.namespace }),
      crdMissing,
    )) as { items: ImClusterObject[] };
    const items = list.items.map(summarize);
    print(args.output, { items }, (r) => renderList(r.items, Boolean(args.allNamespaces)));
    return ExitCode.ok;
  },
});
