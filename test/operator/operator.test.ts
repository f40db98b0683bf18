/**
 * The operator against a real kube-apiserver + etcd (no kubelet or controllers: Job and Deployment
 * status are written by the test, as those controllers would) and a real PostgreSQL for the
 * message partitions.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { expect } from 'chai';
import pg from 'pg';
import { deleteJetStreamStream } from '../../common/deploy/index.ts';
import { migrationJobName } from '../../operator/desired.ts';
import { type RunningOperator, startOperator } from '../../operator/main.ts';
import { rawRequest } from '../../operator/raw.ts';
import type { ImCluster } from '../../operator/spec.ts';
import { registerUser } from '../support/api-client.ts';
import { type Backend, createBackend, requirePostgres } from '../support/backends.ts';
import { eventually } from '../support/eventually.ts';
import { startApiServer, type TestApiServer } from '../support/kube-apiserver.ts';
import { startPlatform } from '../support/platform.ts';
import { WsClient } from '../support/ws-client.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const NS = 'default';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    ownerReferences?: Array<{
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
    }>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: tests read the fields they check
  [field: string]: any;
}

describe('operator against a real Kubernetes API server', function () {
  this.timeout(60_000);
  let api: TestApiServer;
  let objects: KubernetesObjectApi;
  let operators: RunningOperator[] = [];
  let backend: Backend;
  let signingKeyVersion: string | undefined;

  const read = (apiVersion: string, kind: string, name: string) =>
    objects.read({ apiVersion, kind, metadata: { name, namespace: NS } }) as Promise<Obj>;
  const exists = async (apiVersion: string, kind: string, name: string) => {
    try {
      await read(apiVersion, kind, name);
      return true;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return false;
      throw error;
    }
  };
  const cluster = () => read('im.anychat.io/v1alpha1', 'ImCluster', 'chat') as Promise<Obj>;
  const condition = async (type: string) =>
    ((await cluster()).status?.conditions ?? []).find((c: { type: string }) => c.type === type);

  before(async function () {
    this.timeout(900_000);
    await requirePostgres(this);
    backend = await createBackend('postgresql');
    await run(process.execPath, [join(ROOT, 'services/migrate.ts')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: backend.env.DATABASE_URL, SERVICES: 'message', LOG_LEVEL: 'warn' },
    });
    api = await startApiServer();
    objects = KubernetesObjectApi.makeApiClient(api.config);
    await objects.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'chat-db', namespace: NS },
      stringData: { url: backend.env.DATABASE_URL },
    } as never);
    await objects.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'nats', namespace: NS },
      stringData: { url: 'nats://127.0.0.1:4222' },
    } as never);
    // Two replicas, as the chart deploys them: only the elected one reconciles.
    operators = ['replica-a', 'replica-b'].map((identity) =>
      startOperator(api.config, {
        namespace: NS,
        logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
        leaderElection: { namespace: NS, identity, leaseDurationSeconds: 15 },
      }),
    );
  });

  after(async function () {
    this.timeout(60_000);
    for (const operator of operators) await operator.stop();
    await deleteJetStreamStream('nats://127.0.0.1:4222', 'ANYCHAT_OPERATOR_TEST').catch(() => {});
    await api?.stop();
    await backend?.dispose();
  });

  it('refuses invalid specs with a message that names the field', async () => {
    const attempt = async (spec: Record<string, unknown>) => {
      try {
        await objects.create({
          apiVersion: 'im.anychat.io/v1alpha1',
          kind: 'ImCluster',
          metadata: { name: 'bad', namespace: NS },
          spec,
        } as never);
        return 'accepted';
      } catch (error) {
        const body = (error as ApiException<string>).body;
        return typeof body === 'string' ? (JSON.parse(body) as { message: string }).message : String(error);
      }
    };
    const database = { secretRef: { name: 'chat-db' } };
    expect(await attempt({})).to.match(/spec\.database: Required value/);
    expect(await attempt({ database, mode: 'monolith' })).to.match(
      /spec\.mode: Unsupported value: "monolith"/,
    );
    expect(await attempt({ database, messages: { monthsAhead: 0 } })).to.match(/spec\.messages\.monthsAhead/);
    expect(
      await attempt({
        database,
        gateway: { autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 2 } },
      }),
    ).to.match(/minReplicas must not exceed autoscaling\.maxReplicas/);
    expect(await attempt({ database, config: { lower_case: 'x' } })).to.match(
      /config keys are environment variable names/,
    );
    expect(await attempt({ database, dapr: { pubsub: { type: 'kafka' } } })).to.match(
      /spec\.dapr\.pubsub\.type/,
    );
  });

  it('runs the migration Job first, then creates every child with owner references and Dapr wiring', async () => {
    await objects.create({
      apiVersion: 'im.anychat.io/v1alpha1',
      kind: 'ImCluster',
      metadata: { name: 'chat', namespace: NS },
      spec: {
        database: { secretRef: { name: 'chat-db' } },
        gateway: { replicas: 2, ingress: { host: 'chat.example.com', tlsSecretName: 'chat-tls' } },
        dapr: {
          pubsub: {
            type: 'nats',
            streamName: 'ANYCHAT_OPERATOR_TEST',
            secretRef: { name: 'nats', key: 'url' },
          },
        },
      },
    } as never);
    const defaults = await cluster();
    expect(defaults.spec.messages).to.deep.include({ monthsAhead: 3, expiredPartitions: 'detach' });
    // The version's Job, with its pod template's hash (what the operator names it from the same spec).
    const jobName = migrationJobName(defaults as unknown as ImCluster);
    expect(jobName).to.match(/^chat-migrate-0-1-0-[0-9a-f]{8}$/);
    const job = await eventually('migration Job', async () =>
      (await exists('batch/v1', 'Job', jobName)) ? read('batch/v1', 'Job', jobName) : undefined,
    );
    expect(job.spec.template.spec.containers[0].command).to.deep.equal(['node', 'services/migrate.ts']);
    const pending = await eventually('MigrationsApplied=False', async () => {
      const c = await condition('MigrationsApplied');
      return c?.status === 'False' ? c : undefined;
    });
    expect(pending.reason).to.equal('JobRunning');
    expect(await exists('apps/v1', 'Deployment', 'chat-message')).to.equal(false);

    // What the Job controller would write when the Job completes.
    await api.completeJob(NS, jobName);
    // One reconcile applies the children one after another: wait for all of them.
    await eventually('every child', async () => {
      for (const workload of ['auth', 'user', 'friend', 'group', 'session', 'message', 'admin', 'gateway'])
        for (const [apiVersion, kind] of [
          ['apps/v1', 'Deployment'],
          ['v1', 'Service'],
          ['policy/v1', 'PodDisruptionBudget'],
        ] as const)
          if (!(await exists(apiVersion, kind, `chat-${workload}`))) return undefined;
      return (await exists('networking.k8s.io/v1', 'Ingress', 'chat-ingress')) ? true : undefined;
    });
    const message = await read('apps/v1', 'Deployment', 'chat-message');
    const owner = message.metadata.ownerReferences?.[0];
    expect(owner).to.include({ kind: 'ImCluster', name: 'chat', controller: true });
    const annotations = message.spec.template.metadata.annotations;
    expect(annotations).to.include({
      'dapr.io/enabled': 'true',
      'dapr.io/app-id': 'message',
      'dapr.io/app-port': '8080',
    });
    const container = message.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).to.equal('/readyz');
    expect(container.livenessProbe.httpGet.path).to.equal('/healthz');
    expect(container.env).to.deep.include({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'chat-db', key: 'url' } },
    });
    expect((await read('apps/v1', 'Deployment', 'chat-gateway')).spec.replicas).to.equal(2);
    // The signing key: generated once into its own Secret, handed to auth only.
    const secret = await read('v1', 'Secret', 'chat-jwt');
    const jwk = JSON.parse(Buffer.from(secret.data['signing-key.jwk'], 'base64').toString());
    expect(jwk).to.include({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(jwk.d).to.be.a('string');
    expect(secret.metadata.ownerReferences ?? []).to.have.length(0);
    const authEnv = (await read('apps/v1', 'Deployment', 'chat-auth')).spec.template.spec.containers[0].env;
    expect(authEnv).to.deep.include({
      name: 'AUTH_SIGNING_KEY',
      valueFrom: { secretKeyRef: { name: 'chat-jwt', key: 'signing-key.jwk' } },
    });
    expect(message.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)).not.to.include(
      'AUTH_SIGNING_KEY',
    );
    signingKeyVersion = secret.metadata.resourceVersion;
    const component = await read('dapr.io/v1alpha1', 'Component', 'pubsub-message-created');
    expect(component.spec.type).to.equal('pubsub.jetstream');
    // Its subscribers only: the conversation list, offline push and outgoing webhooks.
    expect(component.scopes).to.have.members(['session', 'push', 'message']);
    expect(component.spec.metadata).to.deep.include({
      name: 'natsURL',
      secretKeyRef: { name: 'nats', key: 'url' },
    });
    const ingress = await read('networking.k8s.io/v1', 'Ingress', 'chat-ingress');
    expect(ingress.spec.tls[0]).to.deep.equal({ hosts: ['chat.example.com'], secretName: 'chat-tls' });
    const paths = ingress.spec.rules[0].http.paths.map((p: { path: string }) => p.path);
    expect(paths).to.include.members(['/ws', '/api/v1/asyncapi.json', '/api/v1/auth', '/api/v1/messages']);
  });

  it('keeps the message partitions in the database and reports them', async () => {
    const ready = await eventually('PartitionsReady', async () => {
      const c = await condition('PartitionsReady');
      return c?.status === 'True' ? c : undefined;
    });
    expect(ready.reason).to.equal('Maintained');
    const status = (await cluster()).status;
    expect(status.partitions.length).to.be.greaterThanOrEqual(4);
    const client = new pg.Client({ connectionString: backend.env.DATABASE_URL });
    await client.connect();
    const { rows } = await client.query(
      `select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
        join pg_class p on p.oid = i.inhparent join pg_namespace n on n.oid = p.relnamespace
       where n.nspname = 'message' and p.relname = 'messages'`,
    );
    await client.end();
    expect(rows.map((r) => r.relname).sort()).to.deep.equal([...status.partitions].sort());
  });

  it('creates the JetStream stream the Components publish into', async () => {
    const ready = await eventually('BrokerReady', async () => {
      const c = await condition('BrokerReady');
      return c?.status === 'True' ? c : undefined;
    });
    expect(ready.reason).to.equal('StreamReady');
    const connection = await connect({ servers: 'nats://127.0.0.1:4222' });
    try {
      const info = await (await jetstreamManager(connection)).streams.info('ANYCHAT_OPERATOR_TEST');
      expect(info.config.subjects).to.include.members(['message.>', 'gateway.>']);
    } finally {
      await connection.close();
    }
  });

  it('recreates a deleted child', async () => {
    const before = await eventually('Service', () => read('v1', 'Service', 'chat-gateway'));
    await objects.delete(before);
    const again = await eventually('recreated Service', async () => {
      const service = (await exists('v1', 'Service', 'chat-gateway'))
        ? await read('v1', 'Service', 'chat-gateway')
        : undefined;
      return service && service.metadata.uid !== before.metadata.uid ? service : undefined;
    });
    expect(again.metadata.ownerReferences?.[0]?.name).to.equal('chat');
  });

  it('follows spec changes: replicas change, a disabled service goes away', async () => {
    await objects.patch(
      {
        apiVersion: 'im.anychat.io/v1alpha1',
        kind: 'ImCluster',
        metadata: { name: 'chat', namespace: NS },
        spec: { gateway: { replicas: 3 }, services: { friend: { enabled: false } } },
      } as never,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    await eventually('gateway scaled to 3', async () =>
      (await read('apps/v1', 'Deployment', 'chat-gateway')).spec.replicas === 3 ? true : undefined,
    );
    await eventually('friend removed', async () =>
      !(await exists('apps/v1', 'Deployment', 'chat-friend')) &&
      !(await exists('v1', 'Service', 'chat-friend'))
        ? true
        : undefined,
    );
    expect(await exists('apps/v1', 'Deployment', 'chat-message')).to.equal(true);
  });

  it('reports readiness through status conditions as components become ready', async () => {
    const notReady = await eventually('Ready=False', async () => {
      const c = await condition('Ready');
      return c?.status === 'False' && c.reason === 'ComponentsNotReady' && /gateway 0\/3/.test(c.message)
        ? c
        : undefined;
    });
    expect(notReady.message).not.to.match(/friend/);
    // What the Deployment controller would report once pods are up.
    const apps = api.config.makeApiClient(AppsV1Api);
    const c = await cluster();
    for (const [workload, component] of Object.entries(
      c.status.components as Record<string, { desired: number }>,
    )) {
      await eventually(`status of ${workload}`, () =>
        apps.patchNamespacedDeploymentStatus(
          {
            name: `chat-${workload}`,
            namespace: NS,
            body: {
              status: {
                replicas: component.desired,
                readyReplicas: component.desired,
                availableReplicas: component.desired,
              },
            },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      );
    }
    const ready = await eventually('Ready=True', async () => {
      const cond = await condition('Ready');
      return cond?.status === 'True' ? cond : undefined;
    });
    expect(ready.reason).to.equal('AllComponentsReady');
    const status = (await cluster()).status;
    expect(status.phase).to.equal('Ready');
    expect(status.observedGeneration).to.equal((await cluster()).metadata.generation);
    expect(status.components.gateway).to.deep.equal({ ready: 3, desired: 3, summary: '3/3' });
    // Many reconciles later, the signing key is the one generated first.
    expect((await read('v1', 'Secret', 'chat-jwt')).metadata.resourceVersion).to.equal(signingKeyVersion);
  });

  it('scales gateways from the connections a real gateway reports, within min..max', async () => {
    const platform = await startPlatform('postgresql');
    const sockets: WsClient[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const user = await registerUser(platform.api);
        sockets.push(await WsClient.connect(platform.host.url, user.accessToken));
      }
      // A gateway pod as the kubelet would report it, its port the real gateway's.
      const port = Number(new URL(platform.host.url).port);
      await objects.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'chat-gateway-abc',
          namespace: NS,
          labels: { 'im.anychat.io/cluster': 'chat', 'app.kubernetes.io/component': 'gateway' },
        },
        spec: {
          containers: [{ name: 'anychat', image: 'anychat', ports: [{ name: 'http', containerPort: port }] }],
        },
      } as never);
      await api.config.makeApiClient(CoreV1Api).patchNamespacedPodStatus(
        {
          name: 'chat-gateway-abc',
          namespace: NS,
          body: {
            status: {
              phase: 'Running',
              podIP: '127.0.0.1',
              podIPs: [{ ip: '127.0.0.1' }],
              conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await objects.patch(
        {
          apiVersion: 'im.anychat.io/v1alpha1',
          kind: 'ImCluster',
          metadata: { name: 'chat', namespace: NS },
          spec: {
            gateway: {
              autoscaling: {
                enabled: true,
                minReplicas: 1,
                maxReplicas: 5,
                targetConnectionsPerPod: 2,
                scaleDownStabilizationSeconds: 0,
              },
            },
          },
        } as never,
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
      // 3 connections at 2 per pod: 2 gateways.
      await eventually('scaled to 2', async () => {
        const replicas = (await read('apps/v1', 'Deployment', 'chat-gateway')).spec.replicas;
        return replicas === 2 && (await cluster()).status.gatewayConnections === 3 ? true : undefined;
      });
      const scaled = await condition('Scaled');
      expect(scaled.message).to.match(/3 connections over 1 gateway pods → 2 replicas/);
      for (const socket of sockets.splice(1)) await socket.close();
      await eventually('scaled down to the minimum', async () =>
        (await read('apps/v1', 'Deployment', 'chat-gateway')).spec.replicas === 1 ? true : undefined,
      );
    } finally {
      for (const socket of sockets) await socket.close();
      await platform.stop();
    }
  });

  it('runs two replicas with exactly one leader, and hands over when the leader stops', async () => {
    const leaders = () => operators.filter((operator) => operator.leading());
    expect(leaders()).to.have.length(1);
    const lease = await read('coordination.k8s.io/v1', 'Lease', 'anychat-operator');
    const leader = operators.findIndex((operator) => operator.leading());
    expect(lease.spec.holderIdentity).to.equal(['replica-a', 'replica-b'][leader]);
    await operators[leader]!.stop();
    const follower = operators[1 - leader]!;
    await eventually('the other replica leads', async () => (follower.leading() ? true : undefined), 20_000);
    expect(leaders()).to.have.length(1);
    // The new leader reconciles: a deleted child comes back.
    const before = await read('v1', 'ConfigMap', 'chat-config');
    await objects.delete(before);
    await eventually('ConfigMap recreated by the new leader', async () =>
      (await exists('v1', 'ConfigMap', 'chat-config')) ? true : undefined,
    );
  });

  it('steps down at once when it finds another holder on a live lease (its own renewal came too late)', async () => {
    const leader = operators.find((operator) => operator.leading())!;
    // What a leader sees after a renewal slow enough for another replica to take the lease over:
    // a live lease in someone else's name. Two leaders must not overlap for the rest of its term.
    const path = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/anychat-operator`;
    type Lease = { spec: Record<string, unknown> };
    const lease = await rawRequest<Lease>(api.config, 'GET', path);
    const now = new Date().toISOString().replace(/Z$/, '000Z');
    await rawRequest(api.config, 'PUT', path, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: 'replica-c', renewTime: now, acquireTime: now },
    });
    // One retry period (2 s) and then some; the lease is 15 s, so waiting it out would not pass.
    await eventually('the leader stepped down', async () => (leader.leading() ? undefined : true), 6_000);
    expect(operators.filter((operator) => operator.leading())).to.have.length(0);
    // Once the intruder's lease lapses, a replica leads again.
    const taken = await rawRequest<Lease>(api.config, 'GET', path);
    await rawRequest(api.config, 'PUT', path, { ...taken, spec: { ...taken.spec, leaseDurationSeconds: 1 } });
    await eventually('a replica leads again', async () => (leader.leading() ? true : undefined), 20_000);
  });
});
