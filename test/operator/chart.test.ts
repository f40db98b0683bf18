/**
 * The Helm chart: lint, the values schema, and every rendered manifest (and the example ImCluster)
 * validated by a real kube-apiserver with a server-side dry run.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
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

  it('ships an example ImCluster that the CRD accepts', async () => {
    const example = parseAllDocuments(
      readFileSync(join(CHART, 'examples/imcluster.yaml'), 'utf8'),
    )[0]!.toJS() as Manifest;
    await api.dryRunApply({ ...example, metadata: { ...example.metadata, namespace: 'default' } });
  });
});
