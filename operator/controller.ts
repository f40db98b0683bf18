/**
 * The control loop: watches ImClusters and the children they own, queues the owning cluster's key,
 * and reconciles one key at a time per object (a key is never in two reconciles at once; events
 * that arrive meanwhile coalesce into one more pass). Errors requeue with exponential backoff;
 * a watch that ends or fails is restarted.
 */
import { inSpan, type Logger } from '../common/index.ts';
import type { KubeObject } from './desired.ts';
import type { KubeApi } from './kube.ts';
import { queueDepth, reconcileDuration, reconciles } from './metrics.ts';
import type { Reconciler } from './reconcile.ts';
import { GROUP, KIND, PLURAL, VERSION } from './spec.ts';

/** Collections watched besides the ImClusters themselves: changes to children bring their owner back. */
const CHILD_COLLECTIONS = [
  '/api/v1/configmaps',
  '/api/v1/services',
  '/apis/apps/v1/deployments',
  '/apis/batch/v1/jobs',
  '/apis/policy/v1/poddisruptionbudgets',
  '/apis/networking.k8s.io/v1/ingresses',
  '/apis/dapr.io/v1alpha1/components',
];

export interface ControllerOptions {
  kube: KubeApi;
  reconciler: Reconciler;
  logger: Logger;
  /** Watch one namespace only (unset: all). */
  namespace?: string;
  maxBackoffMs?: number;
}

export class Controller {
  readonly #o: ControllerOptions;
  readonly #running = new Set<string>();
  readonly #again = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #failures = new Map<string, number>();
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(options: ControllerOptions) {
    this.#o = options;
  }

  start(): void {
    const scope = this.#o.namespace ? `/namespaces/${this.#o.namespace}` : '';
    this.#watchForever(`/apis/${GROUP}/${VERSION}${scope}/${PLURAL}`, (object) => [
      `${object.metadata.namespace}/${object.metadata.name}`,
    ]);
    for (const collection of CHILD_COLLECTIONS) {
      const path = this.#o.namespace ? collection.replace(/\/([a-z]+)$/, `${scope}/$1`) : collection;
      this.#watchForever(path, (object) =>
        (object.metadata.ownerReferences ?? [])
          .filter((owner) => owner.kind === KIND && String(owner.apiVersion).startsWith(`${GROUP}/`))
          .map((owner) => `${object.metadata.namespace}/${String(owner.name)}`),
      );
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#abort.abort();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#queueChanged();
  }

  /** Queues a reconcile of namespace/name (now, or after a delay). */
  enqueue(key: string, delayMs = 0): void {
    if (this.#stopped) return;
    const pending = this.#timers.get(key);
    if (pending && delayMs > 0) return; // an earlier pass is already scheduled
    if (pending) clearTimeout(pending);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.#queueChanged();
      void this.#run(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(key, timer);
    this.#queueChanged();
  }

  /** Keys waiting: scheduled (now, later, or backing off) or due again right after their running pass. */
  #queueChanged() {
    queueDepth.set(this.#timers.size + this.#again.size);
  }

  async #run(key: string): Promise<void> {
    if (this.#running.has(key)) {
      this.#again.add(key); // one reconcile at a time per object; come back right after
      this.#queueChanged();
      return;
    }
    this.#running.add(key);
    // Each pass is a trace of its own (a span, with tracing on): its log lines carry one traceId
    // (common/trace-context.ts), and its calls to the API server are in it.
    await inSpan('reconcile', { root: true, attributes: { 'anychat.imcluster': key } }, () =>
      this.#pass(key),
    );
  }

  async #pass(key: string): Promise<void> {
    const stop = reconcileDuration.startTimer();
    const [namespace, name] = key.split('/') as [string, string];
    try {
      const result = await this.#o.reconciler.reconcile(namespace, name);
      stop();
      reconciles.inc({ result: 'success' });
      this.#failures.delete(key);
      if (result) this.enqueue(key, result.requeueAfterMs);
    } catch (error) {
      stop();
      reconciles.inc({ result: 'error' });
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      const delay = Math.min(500 * 2 ** (failures - 1), this.#o.maxBackoffMs ?? 60_000);
      this.#o.logger.warn({ err: error, cluster: key, retryInMs: delay }, 'reconcile failed');
      this.enqueue(key, delay);
    } finally {
      this.#running.delete(key);
      if (this.#again.delete(key)) this.enqueue(key);
    }
  }

  #watchForever(path: string, keysOf: (object: KubeObject) => string[]): void {
    const loop = async () => {
      let failures = 0;
      while (!this.#stopped) {
        try {
          await this.#o.kube.watch(
            path,
            (type, object) => {
              if (type === 'BOOKMARK' || !object?.metadata) return;
              for (const key of keysOf(object)) this.enqueue(key);
            },
            this.#abort.signal,
          );
          failures = 0;
        } catch (error) {
          failures++;
          // A collection whose API is not installed (no Dapr CRDs yet) is retried, not fatal.
          this.#o.logger.warn({ err: error, path }, 'watch ended; restarting');
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** failures, 30_000)).unref());
      }
    };
    void loop();
  }
}
