/**
 * The trace a piece of work belongs to: set where work enters a process (an HTTP request, a
 * WebSocket frame, a service call, a pub/sub delivery) and read by the logger, so that every log
 * line written while handling it carries `traceId` and `spanId` — one message's path can be
 * followed across services by its trace id. Outgoing calls carry the trace on as a W3C
 * `traceparent` whose parent id is the current span.
 *
 * Two backends behind one API (`inSpan`, `currentTrace`, `traceparentFor`):
 * - tracing off (the default): one AsyncLocalStorage of W3C ids, nothing exported. No OpenTelemetry
 *   module is loaded, nothing is patched: the hot message path pays for one ALS run per span.
 * - tracing on (common/tracing.ts `startTracing`): OpenTelemetry's context is the source of truth.
 *   `inSpan` starts a real span (exported over OTLP), the ids the logs and the traceparents carry
 *   are the active span's, and instrumentations (pg) join the same context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

export interface TraceContext {
  traceId: string;
  /** This process's unit of work within the trace. */
  spanId: string;
  /** The caller's span, when the work came with a traceparent. */
  parentSpanId?: string;
  /** W3C trace flags: whether the trace is sampled (exported). Unsampled only with tracing on. */
  sampled?: boolean;
}

export type SpanKind = 'server' | 'client' | 'producer' | 'consumer' | 'internal';
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: SpanAttributes;
  /**
   * Where work enters (kind `server` or `consumer`): the W3C traceparent (or bare trace id) the
   * caller sent; without one the span starts a new trace. Other spans are children of the current one.
   */
  parent?: string | undefined;
  /** A new trace whatever the kind, unless `parent` names one (each reconcile pass). */
  root?: boolean;
  /** Traceparents of other traces this work belongs to (a batch of events from many traces). */
  links?: string[];
}

/** Whether a span starts from its caller's traceparent (or a new trace) rather than the current span. */
export const isEntry = (options: SpanOptions): boolean =>
  options.root === true || options.kind === 'server' || options.kind === 'consumer';

/** What starts spans: the ALS ids (tracing off) or OpenTelemetry (common/otel-backend.ts). */
export interface SpanBackend {
  inSpan<T>(name: string, options: SpanOptions, work: () => T): T;
  /** A span in each of `parents`' traces for `work`, which runs in the current span (see `inSpansOf`). */
  inSpansOf<T>(
    name: string,
    parents: string[],
    attributes: SpanAttributes,
    work: () => Promise<T>,
  ): Promise<T>;
  current(): TraceContext | undefined;
}

const W3C_TRACE_ID = /^[0-9a-f]{32}$/;
const W3C_SPAN_ID = /^[0-9a-f]{16}$/;
const storage = new AsyncLocalStorage<TraceContext>();

export const isW3cTraceId = (value: string | undefined): boolean =>
  value !== undefined && W3C_TRACE_ID.test(value) && !/^0+$/.test(value);

// Ids are cut from a pool of random bytes drawn 4 KiB at a time: one draw per id was a call into the
// CSPRNG for each span, ~4 % of the platform's CPU per one-to-one message (BENCHMARKS.md, "CPU per
// message on the hot path"). Node's own randomUUID batches the same way.
const ID_POOL_BYTES = 4096;
let idPool = Buffer.alloc(0);
let idPoolAt = 0;
function randomHex(bytes: number): string {
  if (idPoolAt + bytes > idPool.length) {
    idPool = randomBytes(ID_POOL_BYTES);
    idPoolAt = 0;
  }
  idPoolAt += bytes;
  return idPool.toString('hex', idPoolAt - bytes, idPoolAt);
}

export const newTraceId = () => randomHex(16);
export const newSpanId = () => randomHex(8);

/** A new span of `traceId` (a new trace when none), under the caller's span when known. */
export function startSpan(traceId?: string, parentSpanId?: string): TraceContext {
  return {
    traceId: traceId ?? newTraceId(),
    spanId: newSpanId(),
    ...(parentSpanId ? { parentSpanId } : {}),
  };
}

/** Runs `work` (and everything it starts, awaited or not) under `context` (the ALS backend). */
export function runInTrace<T>(context: TraceContext, work: () => T): T {
  return storage.run(context, work);
}

/** Tracing off: ids in AsyncLocalStorage, for the logs and the traceparents; nothing recorded. */
const idsOnly: SpanBackend = {
  inSpan(_name, options, work) {
    if (isEntry(options)) {
      const caller = parseTraceparent(options.parent);
      return storage.run(startSpan(caller?.traceId, caller?.parentSpanId), work);
    }
    // Inner spans (a call, a publish, a store) are only worth their cost when recorded: here the
    // work runs as it is, its log lines and traceparents naming the entry's span.
    return work();
  },
  // Nothing recorded: the batch's own ids are what its log lines carry.
  inSpansOf: (_name, _parents, _attributes, work) => work(),
  current: () => storage.getStore(),
};

let backend: SpanBackend = idsOnly;

/** Switches to OpenTelemetry (common/tracing.ts); `undefined` back to the ids-only backend. */
export function useSpanBackend(next: SpanBackend | undefined): void {
  backend = next ?? idsOnly;
}

/** Whether spans are recorded and exported (OpenTelemetry on). */
export const tracingEnabled = (): boolean => backend !== idsOnly;

/** The trace of the work being done, if it entered through one of the instrumented entries. */
export function currentTrace(): TraceContext | undefined {
  return backend.current();
}

/**
 * Runs `work` in a span named `name` (ended when `work`, or the promise it returns, settles; a throw
 * or rejection marks it failed). Where work enters a process pass `parent` (the caller's
 * traceparent); where it leaves, the span is the child of the current one.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: () => T): T {
  return backend.inSpan(name, options, work);
}

/**
 * Work done once for many traces (a bulk batch of events, each from its own message's trace): a
 * consumer span named `name` in each of `parents`' traces (a W3C traceparent or bare trace id each),
 * linked to the current span and ended when `work` settles, so that every event's trace shows its
 * part of the batch. `work` itself runs in the current span (its queries are the batch's).
 */
export function inSpansOf<T>(
  name: string,
  parents: string[],
  attributes: SpanAttributes,
  work: () => Promise<T>,
): Promise<T> {
  return backend.inSpansOf(name, parents, attributes, work);
}

/**
 * The trace and parent span of a W3C `traceparent` (`00-<trace-id>-<parent-id>-<flags>`); Dapr
 * also puts one in a CloudEvent's `traceid`, where this project's publishers put a bare trace id.
 */
export function parseTraceparent(
  value: string | undefined,
): { traceId: string; parentSpanId?: string; sampled?: boolean } | undefined {
  if (!value) return undefined;
  if (isW3cTraceId(value)) return { traceId: value };
  const [, traceId, parentSpanId, flags] = value.split('-');
  if (!traceId || !isW3cTraceId(traceId)) return undefined;
  if (!parentSpanId || !W3C_SPAN_ID.test(parentSpanId)) return { traceId };
  return { traceId, parentSpanId, sampled: (Number.parseInt(flags ?? '01', 16) & 1) === 1 };
}

/**
 * The traceparent of a call made now: the current span as its parent when it is of the same trace
 * (with its sampled flag, so the callee and the sidecars record it or not alike).
 */
export function traceparentFor(traceId: string): string {
  const current = backend.current();
  if (current?.traceId === traceId)
    return `00-${traceId}-${current.spanId}-${current.sampled === false ? '00' : '01'}`;
  return `00-${traceId}-${newSpanId()}-01`;
}

/** The traceparent of the current span, if there is one (an event published now, a call). */
export function currentTraceparent(): string | undefined {
  const current = backend.current();
  return current ? traceparentFor(current.traceId) : undefined;
}

/** What the logger adds to every line (pino `mixin`): the ids of the current trace, if any. */
export function traceLogFields(): { traceId?: string; spanId?: string } {
  const current = backend.current();
  return current ? { traceId: current.traceId, spanId: current.spanId } : {};
}
