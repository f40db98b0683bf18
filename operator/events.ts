/**
 * Kubernetes Events (events.k8s.io/v1) on an ImCluster: what the operator did and what failed, as
 * `kubectl describe imcluster` and `imctl cluster status` show them. Repeats are aggregated the way
 * client-go's event recorder does it: the first occurrence creates an Event, the second turns it
 * into a series (`series.count` 2), later ones only count in memory and are written at most once
 * per `flushIntervalMs` — so a failure that persists over many reconciles is one object whose count
 * grows, never an object per reconcile.
 *
 * The Event's name is derived from what makes two occurrences the same (regarding object, type,
 * reason, action, note, reporting instance), so a restarted replica resumes the series it left
 * instead of starting another. Recording is best effort: a failure is logged, never thrown into the
 * reconcile (an operator without permission to write Events still reconciles).
 */
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../common/index.ts';
import { RawApiError, rawRequest } from './raw.ts';

export type EventType = 'Normal' | 'Warning';

/** The object an Event is about (events.k8s.io/v1 `regarding`). */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string };
}

export interface EventRecorderOptions {
  /** events.k8s.io/v1 `reportingController`: a qualified name (prefix/name). */
  controller: string;
  /** `reportingInstance`: this replica (its pod name). */
  instance: string;
  logger: Logger;
  /** Later repeats of a series are written at most this often (default one minute). */
  flushIntervalMs?: number;
  now?: () => Date;
}

interface Series {
  namespace: string;
  name: string;
  count: number;
  /** The count the server has. */
  written: number;
  lastObserved: Date;
  lastWritten: number;
  timer?: NodeJS.Timeout;
}

/** Event times are MicroTime: six fractional digits (the generated client would write three, refused). */
const micro = (date: Date) => date.toISOString().replace(/Z$/, '000Z');

/** The API server's limits on these fields (pkg/apis/core/validation/events.go). */
const NOTE_LIMIT = 1024;
const FIELD_LIMIT = 128;

const clip = (text: string, limit: number) =>
  Buffer.byteLength(text) <= limit
    ? text
    : `${Buffer.from(text)
        .subarray(0, limit - 3)
        .toString()}...`;

/** Series not seen for this long are forgotten (the API server's default event TTL is one hour). */
const FORGET_AFTER_MS = 60 * 60_000;

export class EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #config: KubeConfig;
  readonly #series = new Map<string, Series>();
  /** One write at a time per series: a create is never overtaken by its own series patch. */
  readonly #chains = new Map<string, Promise<void>>();

  constructor(config: KubeConfig, options: EventRecorderOptions) {
    this.#config = config;
    this.#o = options;
  }

  normal(subject: EventSubject, reason: string, action: string, note: string): Promise<void> {
    return this.record(subject, 'Normal', reason, action, note);
  }

  warning(subject: EventSubject, reason: string, action: string, note: string): Promise<void> {
    return this.record(subject, 'Warning', reason, action, note);
  }

  /** Records one occurrence; resolves when what must be written now is written (or failed and logged). */
  record(
    subject: EventSubject,
    type: EventType,
    reason: string,
    action: string,
    note: string,
  ): Promise<void> {
    const event = { type, reason: clip(reason, FIELD_LIMIT), action: clip(action, FIELD_LIMIT) };
    const text = clip(note, NOTE_LIMIT);
    const key = createHash('sha256')
      .update(
        JSON.stringify([subject.metadata.uid, type, event.reason, event.action, text, this.#o.instance]),
      )
      .digest('hex');
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.#occurred(key, subject, event, text))
      .catch((error: unknown) =>
        this.#o.logger.warn(
          { err: error, reason: event.reason, regarding: `${subject.kind}/${subject.metadata.name}` },
          'event not recorded',
        ),
      );
    this.#chains.set(key, next);
    void next.finally(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
    return next;
  }

  /** Writes the counts still held in memory (at shutdown, so the last repeats are not lost). */
  async flush(): Promise<void> {
    await Promise.all(
      [...this.#series.entries()].map(([key, series]) => {
        clearTimeout(series.timer);
        series.timer = undefined;
        return series.count > series.written ? this.#writeCount(key, series).catch(() => {}) : undefined;
      }),
    );
  }

  async #occurred(
    key: string,
    subject: EventSubject,
    event: { type: EventType; reason: string; action: string },
    note: string,
  ): Promise<void> {
    const now = this.#now();
    this.#forgetOld(now.getTime());
    const known = this.#series.get(key);
    if (known) {
      known.count++;
      known.lastObserved = now;
      const interval = this.#o.flushIntervalMs ?? 60_000;
      // The second occurrence makes the Event a series at once; later ones are batched.
      if (known.written === 1 || now.getTime() - known.lastWritten >= interval) {
        await this.#writeCount(key, known);
      } else if (!known.timer) {
        known.timer = setTimeout(
          () => {
            known.timer = undefined;
            void this.#writeCount(key, known).catch((error: unknown) =>
              this.#o.logger.warn({ err: error, event: known.name }, 'event series not updated'),
            );
          },
          known.lastWritten + interval - now.getTime(),
        );
        known.timer.unref();
      }
      return;
    }
    const namespace = subject.metadata.namespace;
    const name = `${subject.metadata.name}.${key.slice(0, 16)}`;
    try {
      await rawRequest(this.#config, 'POST', this.#path(namespace), {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace },
        eventTime: micro(now),
        reportingController: this.#o.controller,
        reportingInstance: clip(this.#o.instance, FIELD_LIMIT),
        regarding: {
          apiVersion: subject.apiVersion,
          kind: subject.kind,
          name: subject.metadata.name,
          namespace,
          uid: subject.metadata.uid,
          ...(subject.metadata.resourceVersion ? { resourceVersion: subject.metadata.resourceVersion } : {}),
        },
        ...event,
        note,
      });
      this.#series.set(key, {
        namespace,
        name,
        count: 1,
        written: 1,
        lastObserved: now,
        lastWritten: now.getTime(),
      });
    } catch (error) {
      if (!(error instanceof RawApiError && error.status === 409)) throw error;
      // Written by this replica before it restarted: the series goes on from the count stored.
      const stored = await rawRequest<{ series?: { count?: number } }>(
        this.#config,
        'GET',
        this.#path(namespace, name),
      );
      const written = stored.series?.count ?? 1;
      const series = { namespace, name, count: written + 1, written, lastObserved: now, lastWritten: 0 };
      this.#series.set(key, series);
      await this.#writeCount(key, series);
    }
  }

  async #writeCount(key: string, series: Series): Promise<void> {
    const count = series.count;
    try {
      await rawRequest(
        this.#config,
        'PATCH',
        this.#path(series.namespace, series.name),
        { series: { count, lastObservedTime: micro(series.lastObserved) } },
        'application/merge-patch+json',
      );
    } catch (error) {
      // Expired (event TTL) or deleted: the next occurrence starts a new Event.
      if (error instanceof RawApiError && error.status === 404) {
        clearTimeout(series.timer);
        this.#series.delete(key);
        return;
      }
      throw error;
    }
    series.written = Math.max(series.written, count);
    series.lastWritten = this.#now().getTime();
  }

  #forgetOld(now: number): void {
    for (const [key, series] of this.#series)
      if (now - series.lastObserved.getTime() > FORGET_AFTER_MS && series.count === series.written) {
        clearTimeout(series.timer);
        this.#series.delete(key);
      }
  }

  #path(namespace: string, name?: string): string {
    const base = `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`;
    return name ? `${base}/${encodeURIComponent(name)}` : base;
  }

  #now(): Date {
    return (this.#o.now ?? (() => new Date()))();
  }
}
