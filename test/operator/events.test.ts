/**
 * The operator's Kubernetes Events against a real kube-apiserver + etcd and a real PostgreSQL: what
 * a reconcile did (Normal) and what failed (Warning) on the ImCluster, and aggregation — a reconcile
 * of an unchanged cluster creates no Event object (a repeated failure counts up one Event's series).
 * The Reconciler is driven pass by pass here, so that "one more reconcile" is exact.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, KubernetesObjectApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { expect } from 'chai';
import { createLogger } from '../../common/index.ts';
import { migrationJobName } from '../../operator/desired.ts';
import { EventRecorder } from '../../operator/events.ts';
import { KubeApi } from '../../operator/kube.ts';
import { maintainClusterPartitions } from '../../operator/partitions.ts';
import { rawRequest } from '../../operator/raw.ts';
import { Reconciler } from '../../operator/reconcile.ts';
import type { ImCluster } from '../../operator/spec.ts';
import { type Backend, migratedDatabase, requirePostgres } from '../support/backends.ts';
import { eventually } from '../support/eventually.ts';
import { startApiServer, type TestApiServer } from '../support/kube-apiserver.ts';

const NS = 'default';

interface KubeEvent {
  metadata: { name: string };
  type: string;
  reason: string;
  action: string;
  note: string;
  reportingController: string;
  reportingInstance: string;
  regarding: { kind: string; name: string; uid: string };
  series?: { count: number; lastObservedTime: string };
}

describe('operator Events on the ImCluster', function () {
  this.timeout(60_000);
  let api: TestApiServer;
  let backend: Backend;
  let objects: KubernetesObjectApi;
  let kube: KubeApi;
  let pod: Server;
  /** The open connections the fake gateway pod reports. */
  let connections = 40;
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

  const reconcilerOf = (events: EventRecorder) =>
    new Reconciler({
      kube,
      logger,
      events,
      secretValue: (namespace, name, key) => kube.secretValue(namespace, name, key),
      ensureStream: async () => {},
      gatewayConnections: async (podUrl) => {
        const response = await fetch(`${podUrl}/api/v1/gateway/connections`);
        return ((await response.json()) as { data: { connections: number } }).data.connections;
      },
      partitions: (url, cluster) => maintainClusterPartitions(url, cluster.spec.messages),
    });
  const recorder = (instance = 'replica-a') =>
    new EventRecorder(api.config, { controller: 'anychat.io/operator', instance, logger });

  const cluster = async () =>
    (await objects.read({
      apiVersion: 'im.anychat.io/v1alpha1',
      kind: 'ImCluster',
      metadata: { name: 'ev', namespace: NS },
    })) as unknown as ImCluster;
  const eventsOf = async () => {
    const { uid } = (await cluster()).metadata;
    const list = await rawRequest<{ items: KubeEvent[] }>(
      api.config,
      'GET',
      `/apis/events.k8s.io/v1/namespaces/${NS}/events`,
    );
    return list.items.filter((event) => event.regarding.uid === uid);
  };
  const said = (events: KubeEvent[]) => events.map((e) => `${e.type} ${e.reason} ${e.note}`);

  before(async function () {
    this.timeout(900_000);
    await requirePostgres(this);
    backend = await migratedDatabase('message');
    api = await startApiServer();
    objects = KubernetesObjectApi.makeApiClient(api.config);
    kube = new KubeApi(api.config);
    // A gateway pod's connection count, served where the pod's status says it is.
    pod = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ code: 0, data: { connections } }));
    });
    await new Promise<void>((resolve) => pod.listen(0, '127.0.0.1', resolve));
  });

  after(async function () {
    this.timeout(60_000);
    pod?.close();
    await api?.stop();
    await backend?.dispose();
  });

  it('records what a reconcile did and what failed, once per change, repeats counted in one series', async () => {
    await objects.create({
      apiVersion: 'im.anychat.io/v1alpha1',
      kind: 'ImCluster',
      metadata: { name: 'ev', namespace: NS },
      spec: {
        database: { secretRef: { name: 'ev-db' } },
        dapr: { pubsub: { type: 'redis' } },
        gateway: {
          autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 5, targetConnectionsPerPod: 100 },
        },
      },
    } as never);
    const events = recorder();
    const reconciler = reconcilerOf(events);
    const job = migrationJobName(
      (await objects.read({
        apiVersion: 'im.anychat.io/v1alpha1',
        kind: 'ImCluster',
        metadata: { name: 'ev', namespace: NS },
      })) as unknown as ImCluster,
    );

    // 1. The database Secret is missing: the migration Job and the signing key are created, the
    //    partitions step fails and says so.
    await reconciler.reconcile(NS, 'ev');
    let seen = await eventsOf();
    expect(said(seen)).to.include.members([
      'Normal Created Secret/ev-jwt (access-token signing key)',
      `Normal Created Job/${job}`,
      'Warning MaintenanceFailed Secret default/ev-db not found',
    ]);
    for (const event of seen) {
      expect(event.reportingController).to.equal('anychat.io/operator');
      expect(event.reportingInstance).to.equal('replica-a');
      expect(event.regarding).to.include({ kind: 'ImCluster', name: 'ev' });
      expect(event.series).to.equal(undefined);
    }

    // 2. Nothing changed: no new Event object; the failure's Event becomes a series of 2.
    const firstNames = seen.map((e) => e.metadata.name).sort();
    await reconciler.reconcile(NS, 'ev');
    seen = await eventsOf();
    expect(seen.map((e) => e.metadata.name).sort()).to.deep.equal(firstNames);
    const warning = () => seen.find((e) => e.reason === 'MaintenanceFailed')!;
    expect(warning().series?.count).to.equal(2);

    // 3. Later repeats are counted in memory and written at most once a minute (or at shutdown).
    await reconciler.reconcile(NS, 'ev');
    seen = await eventsOf();
    expect(warning().series?.count).to.equal(2);
    await events.flush();
    seen = await eventsOf();
    expect(warning().series?.count).to.equal(3);
    // A restarted replica of the same name goes on with the series it left.
    await reconcilerOf(recorder()).reconcile(NS, 'ev');
    seen = await eventsOf();
    expect(warning().series?.count).to.equal(4);
    expect(seen.map((e) => e.metadata.name).sort()).to.deep.equal(firstNames);

    // 4. The Secret appears and the Job completes: the children, the partitions and the migration.
    await objects.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'ev-db', namespace: NS },
      stringData: { url: backend.env.DATABASE_URL },
    } as never);
    await api.completeJob(NS, job);
    await reconciler.reconcile(NS, 'ev');
    seen = await eventsOf();
    const notes = said(seen);
    expect(notes).to.include.members([
      `Normal Migrated ${job} succeeded`,
      'Normal Created Deployment/ev-gateway',
      'Normal Created Deployment/ev-message',
      'Normal Created Service/ev-gateway',
      'Normal Created ConfigMap/ev-config',
    ]);
    const partitions = seen.find((e) => e.reason === 'PartitionsCreated');
    expect(partitions?.note).to.match(/^message\.messages: messages_\d{6}/);
    expect(partitions?.action).to.equal('MaintainPartitions');

    // 5. Unchanged again: not one more Event object, from the same recorder or a restarted one.
    const settled = seen.map((e) => e.metadata.name).sort();
    await reconciler.reconcile(NS, 'ev');
    await reconcilerOf(recorder()).reconcile(NS, 'ev');
    seen = await eventsOf();
    expect(seen.map((e) => e.metadata.name).sort()).to.deep.equal(settled);
    expect(seen.filter((e) => e.type === 'Normal' && e.series)).to.deep.equal([]);
  });

  it('writes the counted repeats of a series at most once per interval, a timer the last ones', async () => {
    const events = new EventRecorder(api.config, {
      controller: 'anychat.io/operator',
      instance: 'replica-timer',
      logger,
      flushIntervalMs: 1_000,
    });
    const subject = await cluster();
    const countOf = async () =>
      (await eventsOf())
        .filter((e) => e.reportingInstance === 'replica-timer')
        .map((e) => e.series?.count ?? 1);
    for (let occurrence = 0; occurrence < 4; occurrence++)
      await events.warning(subject, 'StreamFailed', 'PrepareBroker', 'nats://nats:4222: connection refused');
    // Created, then a series of 2 at once; the third and fourth wait for the interval.
    expect(await countOf()).to.deep.equal([2]);
    const written = Date.now();
    await eventually('the batched count', async () => ((await countOf())[0] === 4 ? true : undefined), 5_000);
    expect(Date.now() - written).to.be.greaterThan(500);
  });

  it('says when the gateway scales and when a change updates a child; a failed step is a Warning', async () => {
    const core = api.config.makeApiClient(CoreV1Api);
    const port = (pod.address() as AddressInfo).port;
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: {
          name: 'ev-gateway-1',
          labels: { 'im.anychat.io/cluster': 'ev', 'app.kubernetes.io/component': 'gateway' },
        },
        spec: {
          containers: [{ name: 'gateway', image: 'anychat', ports: [{ name: 'http', containerPort: port }] }],
        },
      },
    });
    // What the kubelet would report: the pod is ready at an address this test serves.
    await core.patchNamespacedPodStatus(
      {
        namespace: NS,
        name: 'ev-gateway-1',
        body: {
          status: {
            podIP: '127.0.0.1',
            podIPs: [{ ip: '127.0.0.1' }],
            conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const reconciler = reconcilerOf(recorder());
    await reconciler.reconcile(NS, 'ev'); // 40 connections: 1 replica, as the status already says
    expect((await cluster()).status?.components?.gateway?.desired).to.equal(1);
    const before = (await eventsOf()).length;
    connections = 250;
    await reconciler.reconcile(NS, 'ev');
    const seen = await eventsOf();
    expect(said(seen)).to.include.members([
      'Normal Scaled gateway 1 → 3 replicas (250 connections, target 100 per pod)',
      'Normal Updated Deployment/ev-gateway',
    ]);
    expect(seen.length).to.equal(before + 2);

    // A quantity the CRD lets through but a Deployment cannot hold: the reconcile fails, InvalidSpec,
    // one Event however often it is retried.
    await objects.patch(
      {
        apiVersion: 'im.anychat.io/v1alpha1',
        kind: 'ImCluster',
        metadata: { name: 'ev', namespace: NS },
        spec: { gateway: { resources: { requests: { cpu: 'lots' } } } },
      } as never,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    for (let retry = 0; retry < 2; retry++) {
      const failed = await reconciler.reconcile(NS, 'ev').then(
        () => 'reconciled',
        (error: Error) => error.message,
      );
      expect(failed).to.match(/ev-gateway/);
    }
    const invalid = (await eventsOf()).filter((e) => e.reason === 'InvalidSpec');
    expect(invalid.map((e) => [e.type, e.action, e.series?.count])).to.deep.equal([
      ['Warning', 'Reconcile', 2],
    ]);
    expect(invalid[0]!.note).to.match(
      /^HTTP 500: failed to convert new object \(default\/ev-gateway.*quantities must match/,
    );
  });
});
