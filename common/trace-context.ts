/**
 * The trace a piece of work belongs to, kept in AsyncLocalStorage: set where work enters a process
 * (an HTTP request, a WebSocket frame, a service call, a pub/sub delivery) and read by the logger,
 * so that every log line written while handling it carries `traceId` and `spanId` — one message's
 * path can be followed across services by its trace id. Outgoing calls carry the trace on as a W3C
 * `traceparent` whose parent id is the current span.
 *
 * The ids are W3C's (32 and 16 lower-case hex digits). Not OpenTelemetry's context: nothing here
 * exports spans, and one AsyncLocalStorage is all the logs need.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

export interface TraceContext {
  traceId: string;
  /** This process's unit of work within the trace. */
  spanId: string;
  /** The caller's span, when the work came with a traceparent. */
  parentSpanId?: string;
}

const W3C_TRACE_ID = /^[0-9a-f]{32}$/;
const W3C_SPAN_ID = /^[0-9a-f]{16}$/;
const storage = new AsyncLocalStorage<TraceContext>();

export const isW3cTraceId = (value: string | undefined): boolean =>
  value !== undefined && W3C_TRACE_ID.test(value) && !/^0+$/.test(value);

export const newTraceId = () => randomBytes(16).toString('hex');
export const newSpanId = () => randomBytes(8).toString('hex');

/** The trace of the work being done, if it entered through one of the instrumented entries. */
export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

/** A new span of `traceId` (a new trace when none), under the caller's span when known. */
export function startSpan(traceId?: string, parentSpanId?: string): TraceContext {
  return {
    traceId: traceId ?? newTraceId(),
    spanId: newSpanId(),
    ...(parentSpanId ? { parentSpanId } : {}),
  };
}

/** Runs `work` (and everything it starts, awaited or not) under `context`. */
export function runInTrace<T>(context: TraceContext, work: () => T): T {
  return storage.run(context, work);
}

/**
 * The trace and parent span of a W3C `traceparent` (`00-<trace-id>-<parent-id>-<flags>`); Dapr
 * also puts one in a CloudEvent's `traceid`, where this project's publishers put a bare trace id.
 */
export function parseTraceparent(
  value: string | undefined,
): { traceId: string; parentSpanId?: string } | undefined {
  if (!value) return undefined;
  if (isW3cTraceId(value)) return { traceId: value };
  const [, traceId, parentSpanId] = value.split('-');
  if (!traceId || !isW3cTraceId(traceId)) return undefined;
  return parentSpanId && W3C_SPAN_ID.test(parentSpanId) ? { traceId, parentSpanId } : { traceId };
}

/** The traceparent of a call made now: the current span as its parent when it is of the same trace. */
export function traceparentFor(traceId: string): string {
  const current = storage.getStore();
  const parent = current?.traceId === traceId ? current.spanId : newSpanId();
  return `00-${traceId}-${parent}-01`;
}

/** What the logger adds to every line (pino `mixin`): the ids of the current trace, if any. */
export function traceLogFields(): { traceId?: string; spanId?: string } {
  const current = storage.getStore();
  return current ? { traceId: current.traceId, spanId: current.spanId } : {};
}
