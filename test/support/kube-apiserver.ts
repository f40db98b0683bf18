/**
 * A real Kubernetes API server for the operator tests, the way controller envtest runs one: etcd and
 * kube-apiserver as processes (built once by scripts/test-env/ensure-kube.sh), no kubelet or
 * controllers, an admin token, the ImCluster CRD and Dapr's CRDs (from the Dapr Go module) installed.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { eventually } from './eventually.ts';
import { freePort, spawnLogged, stopProcesses, tail } from './processes.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const DAPR_VERSION = process.env.ANYCHAT_DAPR_VERSION ?? '1.18.1';

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export interface TestApiServer {
  config: KubeConfig;
  url: string;
  token: string;
  /** Applies CustomResourceDefinitions from YAML (server-side apply, manager `test`). */
  applyCrds(text: string): Promise<void>;
  /** Server-side apply with dryRun=All: the server validates the object against its schema and stores nothing. */
  dryRunApply(object: KubeManifest): Promise<void>;
  /** Server-side apply of plain JSON (manager `test`), stored. */
  apply(object: KubeManifest): Promise<void>;
  /** Marks a Job complete, as the Job controller (not running here) would. */
  completeJob(namespace: string, name: string): Promise<void>;
  /** A token of a ServiceAccount (TokenRequest API), to act with exactly its permissions. */
  serviceAccountToken(namespace: string, name: string): Promise<string>;
  stop(): Promise<void>;
}

async function binaries(): Promise<{ apiserver: string; etcd: string }> {
  try {
    const { stdout } = await run(join(ROOT, 'scripts/test-env/ensure-kube.sh'), [], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const [apiserver, etcd] = stdout.trim().split('\n').slice(-2);
    return { apiserver: apiserver!, etcd: etcd! };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `no kube-apiserver/etcd: scripts/test-env/ensure-kube.sh failed:\n${stderr.split('\n').slice(-20).join('\n')}`,
    );
  }
}

/** Dapr's CRDs, read from the Dapr Go module the daprd build already downloaded. */
async function daprCrds(): Promise<string[]> {
  const env = { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin`, GOFLAGS: '-mod=mod' };
  const { stdout } = await run('go', ['mod', 'download', '-json', `github.com/dapr/dapr@v${DAPR_VERSION}`], {
    env: { ...env, GONOSUMDB: 'github.com/dapr' },
    cwd: tmpdir(),
  });
  const dir = (JSON.parse(stdout) as { Dir: string }).Dir;
  return ['components.yaml', 'configuration.yaml', 'resiliency.yaml', 'subscription.yaml'].map((file) =>
    readFileSync(join(dir, 'charts/dapr/crds', file), 'utf8'),
  );
}

/** Server-side apply of one object as JSON over HTTPS (the test server's self-signed certificate). */
/** The REST path of an object (core and named groups; plurals of the kinds the tests apply). */
function objectPath(object: {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}) {
  const plural = object.kind.toLowerCase().endsWith('y')
    ? `${object.kind.toLowerCase().slice(0, -1)}ies`
    : object.kind.toLowerCase().endsWith('s')
      ? `${object.kind.toLowerCase()}es`
      : `${object.kind.toLowerCase()}s`;
  const group = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const namespace = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : '';
  return `${group}${namespace}/${plural}/${object.metadata.name}`;
}

function rawApply(base: string, token: string, path: string, object: unknown, query = ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(object);
    const req = httpsRequest(
      new URL(`${path}?fieldManager=test&force=true${query}`, base),
      {
        method: 'PATCH',
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/apply-patch+yaml' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          (res.statusCode ?? 500) < 300
            ? resolve()
            : reject(new Error(`apply ${path}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function startApiServer(): Promise<TestApiServer> {
  const { apiserver, etcd } = await binaries();
  const dir = mkdtempSync(join(tmpdir(), 'anychat-kube-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    // The API server first, then its etcd.
    await stopProcesses([...children].reverse(), { graceMs: 5_000 });
    if (!process.env.TEST_KEEP_KUBE_LOGS) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];
    const etcdLog = join(dir, 'etcd.log');
    children.push(
      spawnLogged(
        etcd,
        [
          ...['--data-dir', join(dir, 'etcd'), '--listen-client-urls', `http://127.0.0.1:${etcdClient}`],
          ...['--advertise-client-urls', `http://127.0.0.1:${etcdClient}`],
          ...['--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--log-level', 'warn'],
        ],
        { logFile: etcdLog },
      ),
    );
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const token = `test-${Math.random().toString(36).slice(2)}`;
    writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`);
    const apiLog = join(dir, 'kube-apiserver.log');
    children.push(
      spawnLogged(
        apiserver,
        [
          ...['--etcd-servers', `http://127.0.0.1:${etcdClient}`, '--bind-address', '127.0.0.1'],
          ...['--secure-port', String(securePort), '--cert-dir', join(dir, 'certs')],
          ...['--service-account-issuer', 'https://kubernetes.default.svc'],
          ...['--service-account-key-file', join(dir, 'sa.pub')],
          ...['--service-account-signing-key-file', join(dir, 'sa.key')],
          ...['--token-auth-file', join(dir, 'tokens.csv'), '--authorization-mode', 'RBAC'],
          ...['--service-cluster-ip-range', '10.96.0.0/24', '--disable-admission-plugins', 'ServiceAccount'],
          ...['--v', '1'],
        ],
        { logFile: apiLog },
      ),
    );
    const url = `https://127.0.0.1:${securePort}`;
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'test', server: url, skipTLSVerify: true }],
      users: [{ name: 'admin', token }],
      contexts: [{ name: 'test', cluster: 'test', user: 'admin', namespace: 'default' }],
      currentContext: 'test',
    });
    const objects = KubernetesObjectApi.makeApiClient(config);
    await eventually(
      'kube-apiserver',
      async () => {
        await objects.list('v1', 'Namespace');
        return true;
      },
      90_000,
      () => `--- etcd ---\n${tail(etcdLog)}\n--- kube-apiserver ---\n${tail(apiLog)}`,
    );
    // CRDs go over plain HTTPS: the client's typed serializer knows the schema keywords `enum` and
    // `default` only under other names and would silently drop them.
    const applyCrds = async (text: string) => {
      for (const document of parseAllDocuments(text)) {
        const crd = document.toJS() as { metadata: { name: string } } | null;
        if (!crd) continue;
        await rawApply(
          url,
          token,
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
          crd,
        );
      }
    };
    await applyCrds(readFileSync(join(ROOT, 'charts/anychat/files/imclusters.im.anychat.io.yaml'), 'utf8'));
    for (const crd of await daprCrds()) await applyCrds(crd);
    // CRDs serve once established.
    await eventually(
      'CRDs established',
      async () => {
        await objects.list('im.anychat.io/v1alpha1', 'ImCluster', 'default');
        await objects.list('dapr.io/v1alpha1', 'Component', 'default');
        return true;
      },
      30_000,
      () => tail(apiLog),
    );
    const dryRunApply: TestApiServer['dryRunApply'] = (object) =>
      rawApply(url, token, objectPath(object), object, '&dryRun=All');
    const apply: TestApiServer['apply'] = (object) => rawApply(url, token, objectPath(object), object);
    const serviceAccountToken = async (namespace: string, name: string) => {
      const response = await config.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
        namespace,
        name,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      if (!response.status?.token) throw new Error(`no token for ${namespace}/${name}`);
      return response.status.token;
    };
    const completeJob = async (namespace: string, name: string) => {
      const now = new Date().toISOString();
      await config.makeApiClient(BatchV1Api).patchNamespacedJobStatus(
        {
          name,
          namespace,
          body: {
            status: {
              succeeded: 1,
              startTime: now,
              completionTime: now,
              conditions: [
                { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: now },
                { type: 'Complete', status: 'True', lastTransitionTime: now },
              ],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    };
    return { config, url, token, applyCrds, dryRunApply, apply, completeJob, serviceAccountToken, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
