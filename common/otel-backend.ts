/**
 * The OpenTelemetry span backend of common/trace-context.ts: `inSpan` starts a real span, the
 * current trace is the active span's. Loaded only by common/tracing.ts once tracing is on.
 */
import {
  type Context,
  context,
  SpanKind as OtelSpanKind,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  isEntry,
  newSpanId,
  parseTraceparent,
  type SpanAttributes,
  type SpanBackend,
  type SpanKind,
  type SpanOptions,
} from './trace-context.ts';

const KINDS: Record<SpanKind, OtelSpanKind> = {
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  producer: OtelSpanKind.PRODUCER,
  consumer: OtelSpanKind.CONSUMER,
  internal: OtelSpanKind.INTERNAL,
};

/** The context a span starts in: the caller's (entries), else the active one. */
function parentOf(options: SpanOptions): Context {
  if (!isEntry(options)) return context.active();
  const caller = parseTraceparent(options.parent);
  if (!caller) return ROOT_CONTEXT;
  // A full traceparent goes through OpenTelemetry's W3C propagator (the global one, tracing.ts).
  if (caller.parentSpanId) return propagation.extract(ROOT_CONTEXT, { traceparent: options.parent });
  // A bare trace id (this project's CloudEvents before tracing): the trace kept, its parent unknown.
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: caller.traceId,
    spanId: newSpanId(),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

function attributesOf(attributes: SpanAttributes | undefined) {
  if (!attributes) return undefined;
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined)) as Record<
    string,
    string | number | boolean
  >;
}

function fail(span: Span, error: unknown) {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** Ends `spans` when `result` settles, failed if it rejects; answers `result`. */
function endWhenSettled<T>(spans: Span[], result: Promise<T>): Promise<T> {
  return result.then(
    (value) => {
      for (const span of spans) span.end();
      return value;
    },
    (error: unknown) => {
      for (const span of spans) {
        fail(span, error);
        span.end();
      }
      throw error;
    },
  );
}

export function otelBackend(tracer: Tracer): SpanBackend {
  return {
    inSpansOf(name, parents, attributes, work) {
      const current = trace.getActiveSpan()?.spanContext();
      const links = current && trace.isSpanContextValid(current) ? [{ context: current }] : [];
      const spans = parents.map((parent) =>
        tracer.startSpan(
          name,
          { kind: OtelSpanKind.CONSUMER, attributes: attributesOf(attributes) ?? {}, links },
          parentOf({ kind: 'consumer', parent }),
        ),
      );
      let result: ReturnType<typeof work>;
      try {
        result = work();
      } catch (error) {
        result = Promise.reject(error);
      }
      return endWhenSettled(spans, result);
    },
    inSpan(name, options, work) {
      const parent = parentOf(options);
      const attributes = attributesOf(options.attributes);
      const links = (options.links ?? []).flatMap((traceparent) => {
        const linked = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent }));
        return linked && trace.isSpanContextValid(linked) ? [{ context: linked }] : [];
      });
      const span = tracer.startSpan(
        name,
        {
          kind: KINDS[options.kind ?? 'internal'],
          ...(attributes ? { attributes } : {}),
          ...(links.length > 0 ? { links } : {}),
        },
        parent,
      );
      return context.with(trace.setSpan(parent, span), () => {
        let result: ReturnType<typeof work>;
        try {
          result = work();
        } catch (error) {
          fail(span, error);
          span.end();
          throw error;
        }
        if (!isPromise(result)) {
          span.end();
          return result;
        }
        return result.then(
          (value) => {
            span.end();
            return value;
          },
          (error: unknown) => {
            fail(span, error);
            span.end();
            throw error;
          },
        ) as typeof result;
      });
    },
    current() {
      const span = trace.getActiveSpan();
      if (!span) return undefined;
      const ids = span.spanContext();
      if (!trace.isSpanContextValid(ids)) return undefined;
      return {
        traceId: ids.traceId,
        spanId: ids.spanId,
        sampled: (ids.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
      };
    },
  };
}
