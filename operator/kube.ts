/**
 * The operator's port to the Kubernetes API: server-side apply under one field manager, status only
 * through the status subresource, and typed "not found" so callers never parse error strings.
 */
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import type { KubeObject } from './desired.ts';
import { FIELD_MANAGER, GROUP, type ImCluster, type ImClusterStatus, PLURAL, VERSION } from './spec.ts';

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

const isNotFound = (error: unknown) => error instanceof ApiException && error.code === 404;

export class KubeApi {
  readonly #objects: KubernetesObjectApi;
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #config: KubeConfig;

  constructor(config: KubeConfig) {
    this.#config = config;
    this.#objects = KubernetesObjectApi.makeApiClient(config);
    this.#custom = config.makeApiClient(CustomObjectsApi);
    this.#core = config.makeApiClient(CoreV1Api);
  }

  /** Creates a Secret; false when one of that name exists already (it is never overwritten). */
  async createSecretIfAbsent(
    namespace: string,
    name: string,
    data: Record<string, string>,
    labels: Record<string, string>,
  ) {
    try {
      await this.#core.createNamespacedSecret({
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace, labels },
          type: 'Opaque',
          stringData: data,
        },
      });
      return true;
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return false;
      throw error;
    }
  }

  /** One key of a Secret, decoded. */
  async secretValue(namespace: string, name: string, key: string): Promise<string> {
    let secret: { data?: Record<string, string> };
    try {
      secret = await this.#core.readNamespacedSecret({ namespace, name });
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(`Secret ${namespace}/${name} not found`);
      throw error;
    }
    const value = secret.data?.[key];
    if (value === undefined) throw new NotFoundError(`Secret ${namespace}/${name} has no key ${key}`);
    return Buffer.from(value, 'base64').toString('utf8');
  }

  /** Server-side apply: the object is this manager's whole intent for the fields it names. */
  async apply<T extends KubeObject>(object: T): Promise<T> {
    return (await this.#objects.patch(
      object,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    )) as T;
  }

  async get<T extends KubeObject>(
    ref: Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace: string } },
  ) {
    try {
      return (await this.#objects.read(ref as never)) as unknown as T;
    } catch (error) {
      if (isNotFound(error))
        throw new NotFoundError(`${ref.kind} ${ref.metadata.namespace}/${ref.metadata.name} not found`);
      throw error;
    }
  }

  async list<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    labelSelector: string,
  ): Promise<T[]> {
    const list = await this.#objects.list(
      apiVersion,
      kind,
      namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      labelSelector,
    );
    return list.items as unknown as T[];
  }

  async delete(object: KubeObject): Promise<void> {
    try {
      await this.#objects.delete(object, undefined, undefined, undefined, undefined, 'Background');
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async getCluster(namespace: string, name: string): Promise<ImCluster> {
    try {
      return (await this.#custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name,
      })) as ImCluster;
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(`ImCluster ${namespace}/${name} not found`);
      throw error;
    }
  }

  /** Status through the /status subresource only, applied under the same field manager. */
  async applyStatus(cluster: ImCluster, status: ImClusterStatus): Promise<void> {
    await this.#custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: cluster.metadata.namespace,
        plural: PLURAL,
        name: cluster.metadata.name,
        body: {
          apiVersion: cluster.apiVersion,
          kind: cluster.kind,
          metadata: { name: cluster.metadata.name },
          status,
        },
        fieldManager: FIELD_MANAGER,
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  }

  /** Watches a collection until it ends, fails or `signal` aborts it; the caller restarts it. */
  watch(
    path: string,
    onEvent: (type: string, object: KubeObject) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      new Watch(this.#config)
        .watch(
          path,
          { allowWatchBookmarks: true },
          (type, object) => onEvent(type, object as KubeObject),
          (error) => (error && !signal.aborted ? reject(error) : resolve()),
        )
        .then((controller) => {
          if (signal.aborted) controller.abort();
          else signal.addEventListener('abort', () => controller.abort(), { once: true });
        }, reject);
    });
  }
}
