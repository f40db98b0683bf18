/**
 * `imctl cluster status` against a real kube-apiserver with the ImCluster CRD. No operator runs:
 * the test writes status through the /status subresource, as the operator does.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { expect } from 'chai';
import { imctl, tempConfigPath } from '../support/imctl.ts';
import { startApiServer, type TestApiServer } from '../support/kube-apiserver.ts';
import { freePort } from '../support/processes.ts';

const API = '/apis/im.anychat.io/v1alpha1';

interface ClusterJson {
  name: string;
  namespace: string;
  generation: number;
  status: {
    phase?: string;
    observedGeneration?: number;
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
    components?: Record<string, { ready: number; desired: number; summary: string }>;
    gatewayConnections?: number;
    partitions?: string[];
  };
}

/** A raw JSON request with the admin token (the test server's certificate is self-signed). */
function raw(api: TestApiServer, method: string, path: string, body: unknown, contentType: string) {
  return new Promise<unknown>((resolve, reject) => {
    const req = request(
      new URL(path, api.url),
      {
        method,
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${api.token}`, 'content-type': contentType },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          (res.statusCode ?? 500) < 300
            ? resolve(JSON.parse(text))
            : reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** A kubeconfig file for the test server with the given token and context namespace. */
function kubeconfigFile(server: string, token: string, namespace?: string): string {
  const path = join(tempConfigPath(), '..', 'kubeconfig');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'user', user: { token } }],
    contexts: [
      { name: 'test', context: { cluster: 'test', user: 'user', ...(namespace ? { namespace } : {}) } },
    ],
    'current-context': 'test',
  };
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}

describe('imctl cluster status against a real Kubernetes API server', function () {
  this.timeout(60_000);
  let api: TestApiServer;
  let kubeconfig: string;
  const status = (...args: string[]) => imctl(['cluster', 'status', '--kubeconfig', kubeconfig, ...args]);

  const createCluster = async (namespace: string, name: string) => {
    const objects = KubernetesObjectApi.makeApiClient(api.config);
    await objects.create({
      apiVersion: 'im.anychat.io/v1alpha1',
      kind: 'ImCluster',
      metadata: { name, namespace },
      spec: { database: { secretRef: { name: 'chat-db' } } },
    } as never);
  };
  const writeStatus = (namespace: string, name: string, value: ClusterJson['status']) =>
    raw(
      api,
      'PATCH',
      `${API}/namespaces/${namespace}/imclusters/${name}/status`,
      { status: value },
      'application/merge-patch+json',
    );

  before(async function () {
    this.timeout(900_000);
    api = await startApiServer();
    kubeconfig = kubeconfigFile(api.url, api.token, 'default');
    const objects = KubernetesObjectApi.makeApiClient(api.config);
    await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } } as never);
    await objects.create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'nobody', namespace: 'default' },
    } as never);
    await createCluster('default', 'chat');
    // A spec change after the first reconcile: generation 2, while the status still describes 1.
    await raw(
      api,
      'PATCH',
      `${API}/namespaces/default/imclusters/chat`,
      { spec: { gateway: { replicas: 3 } } },
      'application/merge-patch+json',
    );
    const now = new Date().toISOString();
    await writeStatus('default', 'chat', {
      phase: 'Degraded',
      observedGeneration: 1,
      conditions: [
        {
          type: 'MigrationsApplied',
          status: 'True',
          reason: 'JobSucceeded',
          message: 'migrations 0.1.0 applied',
        },
        {
          type: 'Ready',
          status: 'False',
          reason: 'ComponentsNotReady',
          message: 'gateway 2/3 ready',
        },
      ].map((condition) => ({ ...condition, lastTransitionTime: now })),
      components: {
        gateway: { ready: 2, desired: 3, summary: '2/3' },
        message: { ready: 1, desired: 1, summary: '1/1' },
      },
      gatewayConnections: 1234,
      partitions: ['messages_202611', 'messages_202612'],
    });
    await createCluster('team-b', 'staging');
    await writeStatus('team-b', 'staging', { phase: 'Ready', observedGeneration: 1, gatewayConnections: 5 });
    // Events about chat, as the operator writes them (operator/events.ts): one repeated 3 times.
    const { metadata } = (await objects.read({
      apiVersion: 'im.anychat.io/v1alpha1',
      kind: 'ImCluster',
      metadata: { name: 'chat', namespace: 'default' },
    })) as { metadata: { uid: string } };
    const micro = new Date().toISOString().replace(/Z$/, '000Z');
    for (const [name, type, reason, note, count] of [
      ['chat.created', 'Normal', 'Created', 'Deployment/chat-gateway', undefined],
      ['chat.failed', 'Warning', 'MaintenanceFailed', 'Secret default/chat-db not found', 3],
    ] as const)
      await raw(
        api,
        'POST',
        '/apis/events.k8s.io/v1/namespaces/default/events',
        {
          metadata: { name, namespace: 'default' },
          eventTime: micro,
          reportingController: 'anychat.io/operator',
          reportingInstance: 'operator-0',
          action: 'Reconcile',
          regarding: {
            apiVersion: 'im.anychat.io/v1alpha1',
            kind: 'ImCluster',
            name: 'chat',
            namespace: 'default',
            uid: metadata.uid,
          },
          type,
          reason,
          note,
          ...(count ? { series: { count, lastObservedTime: micro } } : {}),
        },
        'application/json',
      );
  });

  after(async function () {
    this.timeout(60_000);
    await api?.stop();
  });

  it('lists the clusters of the context namespace, as JSON and as a table', async () => {
    const json = await status('--output', 'json');
    expect(json.code, json.stderr).to.equal(0);
    const { items } = json.json<{ items: ClusterJson[] }>();
    expect(items.map((c) => c.name)).to.deep.equal(['chat']);
    expect(items[0]!.status.phase).to.equal('Degraded');
    expect(items[0]!.status.gatewayConnections).to.equal(1234);

    const table = await status('--output', 'table');
    expect(table.code, table.stderr).to.equal(0);
    const [header, row] = table.stdout.trim().split('\n');
    expect(header).to.match(/^NAME\s+PHASE\s+GATEWAYS\s+CONNECTIONS\s+AGE$/);
    expect(row).to.match(/^chat\s+Degraded\s+2\/3\s+1234\s+\d+s$/);
  });

  it('shows one cluster: phase, generations, every condition, components, partitions, connections', async () => {
    const json = await status('chat', '-o', 'json');
    expect(json.code, json.stderr).to.equal(0);
    const cluster = json.json<ClusterJson>();
    expect(cluster).to.include({ name: 'chat', namespace: 'default', generation: 2 });
    expect(cluster.status.observedGeneration).to.equal(1);
    expect(cluster.status.conditions?.map((c) => [c.type, c.status, c.reason])).to.deep.equal([
      ['MigrationsApplied', 'True', 'JobSucceeded'],
      ['Ready', 'False', 'ComponentsNotReady'],
    ]);
    expect(cluster.status.partitions).to.deep.equal(['messages_202611', 'messages_202612']);
    expect(cluster.status.components?.gateway).to.deep.equal({ ready: 2, desired: 3, summary: '2/3' });

    const table = await status('chat', '-o', 'table');
    expect(table.code, table.stderr).to.equal(0);
    const text = table.stdout;
    expect(text).to.match(/Phase:\s+Degraded/);
    expect(text).to.match(/Generation:\s+2, observed 1 \(the operator has not caught up/);
    expect(text).to.match(/Gateway connections:\s+1234/);
    expect(text).to.match(/Partitions:\s+messages_202611, messages_202612/);
    expect(text).to.match(/MigrationsApplied\s+True\s+JobSucceeded\s+\d+s\s+migrations 0\.1\.0 applied/);
    expect(text).to.match(/Ready\s+False\s+ComponentsNotReady\s+\d+s\s+gateway 2\/3 ready/);
    expect(text).to.match(/gateway\s+2\s+3/);
    expect(text).to.match(/message\s+1\s+1/);
  });

  it("shows one cluster's recent Events, a repeated one with its count", async () => {
    const json = await status('chat', '-o', 'json');
    expect(json.code, json.stderr).to.equal(0);
    const { events } = json.json<{
      events: Array<{ type: string; reason: string; count: number; source: string }>;
    }>();
    expect(events.map((e) => [e.type, e.reason, e.count]).sort()).to.deep.equal([
      ['Normal', 'Created', 1],
      ['Warning', 'MaintenanceFailed', 3],
    ]);
    expect(events[0]!.source).to.equal('anychat.io/operator/operator-0');

    const table = await status('chat', '-o', 'table');
    expect(table.stdout).to.match(/Events:\n\s*TYPE\s+REASON\s+AGE\s+COUNT\s+MESSAGE/);
    expect(table.stdout).to.match(
      /Warning\s+MaintenanceFailed\s+\d+s\s+3\s+Secret default\/chat-db not found/,
    );
    expect(table.stdout).to.match(/Normal\s+Created\s+\d+s\s+1\s+Deployment\/chat-gateway/);
  });

  it('takes the namespace from -n, the context, or all of them with --all-namespaces', async () => {
    const other = await status('-n', 'team-b', '-o', 'json');
    expect(other.json<{ items: ClusterJson[] }>().items.map((c) => c.name)).to.deep.equal(['staging']);

    const contextNamespace = kubeconfigFile(api.url, api.token, 'team-b');
    const fromContext = await imctl(['cluster', 'status', 'staging', '--kubeconfig', contextNamespace]);
    expect(fromContext.code, fromContext.stderr).to.equal(0);
    expect(fromContext.json<ClusterJson>().status.phase).to.equal('Ready');

    const all = await status('--all-namespaces', '-o', 'table');
    expect(all.code, all.stderr).to.equal(0);
    expect(all.stdout).to.match(/^NAMESPACE\s+NAME\s+PHASE/);
    expect(all.stdout).to.match(/default\s+chat\s+Degraded/);
    expect(all.stdout).to.match(/team-b\s+staging\s+Ready\s+-\s+5/);
  });

  it('exits 6 with a pointer to the list for a cluster that does not exist', async () => {
    const missing = await status('nope');
    expect(missing.code).to.equal(6);
    expect(missing.stdout).to.equal('');
    expect(missing.stderr).to.match(/ImCluster "nope" not found in namespace "default"/);
    expect(missing.stderr).to.match(/imctl cluster status -n default/);
  });

  it('exits 4 when the credentials may not read ImClusters', async () => {
    const token = await api.serviceAccountToken('default', 'nobody');
    const forbidden = await imctl(['cluster', 'status', '--kubeconfig', kubeconfigFile(api.url, token)]);
    expect(forbidden.code, forbidden.stderr).to.equal(4);
    expect(forbidden.stderr).to.match(/forbidden: .*imclusters/);
  });

  it('exits 5 when the API server cannot be reached', async () => {
    const port = await freePort();
    const unreachable = await imctl([
      'cluster',
      'status',
      '--kubeconfig',
      kubeconfigFile(`https://127.0.0.1:${port}`, 'x'),
    ]);
    expect(unreachable.code, unreachable.stderr).to.equal(5);
    expect(unreachable.stderr).to.match(/cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+/);
  });

  it('exits 2 for a context the kubeconfig does not have', async () => {
    const result = await status('--context', 'prod');
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/no context "prod" in the kubeconfig; known: test/);
  });
});
