/**
 * The Helm chart: lint, the values schema, and every rendered manifest (and the example ImCluster)
 * validated by a real kube-apiserver with a server-side dry run.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parse, parseAllDocuments } from 'yaml';
import { tracingConfigFromEnv } from '../../common/tracing-config.ts';
import { configMap, METRICS_PORT, migrationJobName } from '../../operator/desired.ts';
import { startOperator } from '../../operator/main.ts';
import type { ImCluster } from '../../operator/spec.ts';
import { tracingEnv } from '../../operator/tracing-settings.ts';
import { DASHBOARDS, dashboard } from '../../scripts/observability/dashboards.ts';
import { eventually } from '../support/eventually.ts';
import { startApiServer, type TestApiServer } from '../support/kube-apiserver.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const CHART = join(ROOT, 'charts/anychat');

async function helm(...args: string[]) {
  const { stdout } = await run(join(ROOT, 'scripts/test-env/ensure-helm.sh'));
  return run(stdout.trim(), args, { cwd: ROOT });
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
  throw new Error('expected the command to fail');
}

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

describe('Helm chart', function () {
  this.timeout(120_000);
  let api: TestApiServer;

  before(async function () {
    this.timeout(900_000);
    api = await startApiServer();
    await KubernetesObjectApi.makeApiClient(api.config).create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'anychat' },
    });
  });
  after(async () => api?.stop());

  it('lints clean', async () => {
    const { stdout } = await helm('lint', '--strict', CHART, '--kube-version', '1.36.3');
    expect(stdout).to.match(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('refuses values the schema does not allow, naming the value', async () => {
    expect(
      await failure(helm('template', 't', CHART, '--kube-version', '1.36.3', '--set', 'operator.replicas=0')),
    ).to.match(/'\/operator\/replicas': minimum: got 0, want 1/);
    expect(
      await failure(
        helm('template', 't', CHART, '--kube-version', '1.36.3', '--set', 'operator.logLevel=loud'),
      ),
    ).to.match(/logLevel/);
  });

  it('renders manifests the API server accepts, the CRD kept on uninstall', async () => {
    const { stdout } = await helm('template', 'anychat', CHART, '-n', 'anychat', '--kube-version', '1.36.3');
    const manifests = parseAllDocuments(stdout)
      .map((doc) => doc.toJS() as Manifest | null)
      .filter((doc): doc is Manifest => doc !== null);
    expect(manifests.map((m) => m.kind).sort()).to.deep.equal(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'CustomResourceDefinition',
        'Deployment',
        'Role',
        'RoleBinding',
        'ServiceAccount',
        // The Grafana dashboards, one per area.
        ...Object.keys(DASHBOARDS).map(() => 'ConfigMap'),
      ].sort(),
    );
    for (const manifest of manifests) {
      const namespaced = !['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition'].includes(
        manifest.kind,
      );
      await api.dryRunApply({
        ...manifest,
        metadata: { ...manifest.metadata, ...(namespaced ? { namespace: 'anychat' } : {}) },
      });
    }
    const crd = manifests.find((m) => m.kind === 'CustomResourceDefinition') as Manifest & {
      metadata: { annotations: Record<string, string> };
    };
    expect(crd.metadata.annotations['helm.sh/resource-policy']).to.equal('keep');
    const operator = manifests.find((m) => m.kind === 'Deployment') as Manifest & {
      spec: { replicas: number };
    };
    expect(operator.spec.replicas).to.equal(2);
  });

  it("passes operator.tracing to the operator as the same OpenTelemetry environment an ImCluster's apps get", async () => {
    type Env = Array<{ name: string; value?: string }>;
    const operatorEnv = async (...set: string[]) => {
      const { stdout } = await helm(
        'template',
        'anychat',
        CHART,
        '-n',
        'anychat',
        '--kube-version',
        '1.36.3',
        ...set,
      );
      const deployment = parseAllDocuments(stdout)
        .map(
          (doc) =>
            doc.toJS() as
              | (Manifest & { spec: { template: { spec: { containers: Array<{ env: Env }> } } } })
              | null,
        )
        .find((doc) => doc?.kind === 'Deployment')!;
      await api.dryRunApply({ ...deployment, metadata: { ...deployment.metadata, namespace: 'anychat' } });
      return deployment.spec.template.spec.containers[0]!.env;
    };
    // Off by default: no OTEL_* at all, so the operator starts no exporter.
    expect((await operatorEnv()).filter((e) => e.name.startsWith('OTEL_'))).to.deep.equal([]);

    const endpoint = 'http://jaeger-collector.observability:4318';
    const env = await operatorEnv(
      '--set',
      `operator.tracing.endpoint=${endpoint}`,
      '--set-string',
      'operator.tracing.samplingRate=0.25',
    );
    const otel = env.filter((e) => e.name.startsWith('OTEL_'));
    const cluster = {
      spec: { observability: { tracing: { endpoint, samplingRate: '0.25' } } },
    } as unknown as ImCluster;
    expect(otel).to.deep.equal(tracingEnv(cluster));
    // …which the operator's own settings reader takes as tracing on, a quarter of new traces.
    expect(tracingConfigFromEnv(Object.fromEntries(otel.map((e) => [e.name, e.value])))).to.include({
      endpoint,
      samplingRatio: 0.25,
    });

    expect(await failure(operatorEnv('--set', 'operator.tracing.endpoint=jaeger-collector:4318'))).to.match(
      /operator\/tracing\/endpoint/,
    );
    expect(await failure(operatorEnv('--set-string', 'operator.tracing.samplingRate=2'))).to.match(
      /operator\/tracing\/samplingRate/,
    );
  });

  it('renders the PodMonitor and PrometheusRule only where the Prometheus Operator is, and the dashboards for the sidecar', async () => {
    const render = async (...args: string[]) =>
      parseAllDocuments(
        (await helm('template', 'anychat', CHART, '-n', 'anychat', '--kube-version', '1.36.3', ...args))
          .stdout,
      )
        .map((doc) => doc.toJS() as (Manifest & Record<string, never>) | null)
        .filter((doc) => doc !== null);
    const without = await render();
    expect(without.map((m) => m.kind)).not.to.include.members(['PodMonitor', 'PrometheusRule']);
    const withOperator = await render(
      '--api-versions',
      'monitoring.coreos.com/v1/PodMonitor',
      '--api-versions',
      'monitoring.coreos.com/v1/PrometheusRule',
      '--set',
      'monitoring.podMonitor.labels.release=kube-prometheus-stack',
    );
    const podMonitor = withOperator.find((m) => m.kind === 'PodMonitor') as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { selector: unknown; podMetricsEndpoints: Array<{ port: string; path: string }> };
    };
    expect(podMonitor.metadata.labels.release).to.equal('kube-prometheus-stack');
    expect(podMonitor.spec.selector).to.deep.equal({ matchLabels: { 'app.kubernetes.io/name': 'anychat' } });
    expect(podMonitor.spec.podMetricsEndpoints[0]).to.include({ port: 'metrics', path: '/metrics' });
    const rule = withOperator.find((m) => m.kind === 'PrometheusRule') as unknown as { spec: unknown };
    expect(rule.spec).to.deep.equal(parse(readFileSync(join(CHART, 'files/prometheus/rules.yaml'), 'utf8')));
    const dashboards = without.filter((m) => m.kind === 'ConfigMap') as unknown as Array<{
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    }>;
    expect(dashboards).to.have.length(Object.keys(DASHBOARDS).length);
    for (const map of dashboards) {
      expect(map.metadata.labels.grafana_dashboard).to.equal('1');
      const [name, json] = Object.entries(map.data)[0]!;
      expect(JSON.parse(json)).to.deep.equal(dashboard(name.replace(/^anychat-|\.json$/g, '')));
    }
    // The operator's pods expose the port the PodMonitor scrapes.
    const operator = without.find((m) => m.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: Array<{ ports: Array<{ name: string }> }> } } };
    };
    expect(operator.spec.template.spec.containers[0]!.ports.map((p) => p.name)).to.include('metrics');
  });

  it('ships an example ImCluster that the CRD accepts', async () => {
    const example = parseAllDocuments(
      readFileSync(join(CHART, 'examples/imcluster.yaml'), 'utf8'),
    )[0]!.toJS() as Manifest;
    await api.dryRunApply({ ...example, metadata: { ...example.metadata, namespace: 'default' } });
  });

  it("fills the ingress's trusted proxies in the example, which the operator hands to the services with the metrics port", async () => {
    const example = parseAllDocuments(
      readFileSync(join(CHART, 'examples/imcluster.yaml'), 'utf8'),
    )[0]!.toJS() as ImCluster;
    const admin = KubernetesObjectApi.makeApiClient(api.config);
    const metadata = { name: 'proxied', namespace: 'default' };
    await admin.create({ ...example, metadata } as never);
    const stored = (await admin.read({
      apiVersion: example.apiVersion,
      kind: example.kind,
      metadata,
    })) as unknown as ImCluster;
    expect(stored.spec.gateway.ingress?.trustedProxies).to.equal('loopback,linklocal,uniquelocal');
    expect(configMap(stored).data).to.include({
      TRUSTED_PROXIES: 'loopback,linklocal,uniquelocal',
      METRICS_PORT: String(METRICS_PORT),
    });
  });

  it("grants the operator's ServiceAccount exactly enough to run an ImCluster", async () => {
    const { stdout } = await helm('template', 'anychat', CHART, '-n', 'anychat', '--kube-version', '1.36.3');
    for (const manifest of parseAllDocuments(stdout).map((doc) => doc.toJS() as Manifest | null)) {
      if (!manifest || manifest.kind === 'Deployment' || manifest.kind === 'CustomResourceDefinition')
        continue;
      const namespaced = !['ClusterRole', 'ClusterRoleBinding'].includes(manifest.kind);
      await api.apply({
        ...manifest,
        metadata: { ...manifest.metadata, ...(namespaced ? { namespace: 'anychat' } : {}) },
      });
    }
    const token = await api.serviceAccountToken('anychat', 'anychat');
    const asOperator = new KubeConfig();
    asOperator.loadFromOptions({
      clusters: [{ name: 'test', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'operator', token }],
      contexts: [{ name: 'test', cluster: 'test', user: 'operator' }],
      currentContext: 'test',
    });
    const admin = KubernetesObjectApi.makeApiClient(api.config);
    // The ServiceAccount alone may not read Secrets it was not pointed at by listing them.
    const denied = await KubernetesObjectApi.makeApiClient(asOperator)
      .list('v1', 'Secret', 'default')
      .then(
        () => 'allowed',
        (error: { code?: number }) => error.code,
      );
    expect(denied).to.equal(403);
    await admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'rbac-db', namespace: 'default' },
      stringData: { url: 'postgresql://nobody@127.0.0.1:1/none' },
    } as never);
    await admin.create({
      apiVersion: 'im.anychat.io/v1alpha1',
      kind: 'ImCluster',
      metadata: { name: 'rbac', namespace: 'default' },
      spec: { database: { secretRef: { name: 'rbac-db' } }, dapr: { pubsub: { type: 'redis' } } },
    } as never);
    const operator = startOperator(asOperator, {
      namespace: 'default',
      logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
      leaderElection: { namespace: 'anychat', identity: 'rbac-test' },
    });
    try {
      const read = (apiVersion: string, kind: string, name: string) =>
        admin.read({ apiVersion, kind, metadata: { name, namespace: 'default' } }) as Promise<
          Manifest & { status?: { conditions?: Array<{ type: string; status: string }> } }
        >;
      // Watch, Job, signing-key Secret, status: all through the ServiceAccount's permissions.
      await eventually('the operator', async () => {
        const cluster = await read('im.anychat.io/v1alpha1', 'ImCluster', 'rbac');
        return cluster.status?.conditions?.some((c) => c.type === 'MigrationsApplied') ? true : undefined;
      });
      const job = migrationJobName(
        (await read('im.anychat.io/v1alpha1', 'ImCluster', 'rbac')) as unknown as ImCluster,
      );
      await read('batch/v1', 'Job', job);
      await read('v1', 'Secret', 'rbac-jwt');
      await api.completeJob('default', job);
      // Deployments, Services, PDBs, ConfigMap, Dapr resources: created as the ServiceAccount.
      await eventually('the operator', async () =>
        (await read('apps/v1', 'Deployment', 'rbac-gateway')) ? true : undefined,
      );
      await read('dapr.io/v1alpha1', 'Component', 'pubsub-message-created');
      await eventually('the operator', async () =>
        (await read('policy/v1', 'PodDisruptionBudget', 'rbac-gateway')) ? true : undefined,
      );
      const cluster = await read('im.anychat.io/v1alpha1', 'ImCluster', 'rbac');
      const partitions = cluster.status?.conditions?.find((c) => c.type === 'PartitionsReady');
      expect(partitions?.status).to.equal('False'); // the database is unreachable, and says so
      // Events on the cluster, written as the ServiceAccount: what it created and what failed.
      const events = (await admin.list('events.k8s.io/v1', 'Event', 'default')).items as Array<
        Manifest & { reason?: string; type?: string; regarding?: { name?: string } }
      >;
      const about = events.filter((event) => event.regarding?.name === 'rbac');
      expect(about.map((event) => `${event.type} ${event.reason}`)).to.include.members([
        'Normal Created',
        'Warning MaintenanceFailed',
      ]);
    } finally {
      await operator.stop();
    }
  });
});
