/**
 * Server-side apply that tells what it did: created the object, changed it, or nothing. A Normal
 * event is recorded only for the first two, so a reconcile of an unchanged cluster says nothing.
 *
 * The apply response does not say whether it changed anything, so this remembers, per object, the
 * intent it last applied and the object's uid: the same intent onto the same object is no change.
 * On the first apply of an object in this process (a restart, a new leader) the object is read
 * first: absent is created; otherwise a resourceVersion moved by the apply is a change. Writes by
 * others (a Deployment's status) move the resourceVersion too, so it is not compared otherwise.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from './desired.ts';
import { type KubeApi, NotFoundError } from './kube.ts';

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

/** What the API server adds to an object's metadata. */
const served = (object: KubeObject) => object.metadata as { uid?: string; resourceVersion?: string };

const keyOf = (object: KubeObject) =>
  `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;

export class AppliedObjects {
  readonly #kube: KubeApi;
  /** Object key → the intent last applied (its hash) and the uid it landed on. */
  readonly #applied = new Map<string, { intent: string; uid: string | undefined }>();

  constructor(kube: KubeApi) {
    this.#kube = kube;
  }

  async apply<T extends KubeObject>(object: T): Promise<{ object: T; outcome: ApplyOutcome }> {
    const key = keyOf(object);
    const intent = createHash('sha256').update(JSON.stringify(object)).digest('hex');
    const known = this.#applied.get(key);
    let before: { uid?: string; resourceVersion?: string } | null | undefined;
    if (!known) before = await this.#read(object);
    const applied = await this.#kube.apply(object);
    const { uid, resourceVersion } = served(applied);
    this.#applied.set(key, { intent, uid });
    let outcome: ApplyOutcome;
    if (known) outcome = known.uid !== uid ? 'created' : known.intent !== intent ? 'updated' : 'unchanged';
    else if (before === null) outcome = 'created';
    else outcome = before?.resourceVersion !== resourceVersion ? 'updated' : 'unchanged';
    return { object: applied, outcome };
  }

  /** An object deleted (pruned): its next apply is a creation. */
  forget(object: KubeObject): void {
    this.#applied.delete(keyOf(object));
  }

  async #read(object: KubeObject) {
    try {
      const current = await this.#kube.get<KubeObject>({
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { name: object.metadata.name, namespace: object.metadata.namespace ?? '' },
      });
      return served(current);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }
}
