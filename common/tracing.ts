/**
 * OpenTelemetry for one process (the embedded host, a cluster service, the operator): spans of
 * common/trace-context.ts's entries and exits plus PostgreSQL queries (the maintained pg
 * instrumentation), sampled by ratio, exported over OTLP/HTTP (protobuf) in batches.
 *
 * Off unless an endpoint is set (common/tracing-config.ts). Off means off: this module's
 * OpenTelemetry imports are dynamic, so without an endpoint no SDK module is even loaded, no
 * exporter runs and nothing is patched — the hot message path keeps trace-context's one
 * AsyncLocalStorage and nothing more. Keep it that way: no static @opentelemetry import outside
 * common/otel-backend.ts and this file's `startTracing`.
 */
import { readFileSync } from 'node:fs';
import { createRequire, findPackageJSON } from 'node:module';
import { useSpanBackend } from './trace-context.ts';
import type { TracingConfig } from './tracing-config.ts';

export interface Tracing {
  /** Exports what is buffered now (a test, before it queries the backend). */
  flush(): Promise<void>;
  /** Flushes, unpatches and puts trace-context back on its ids-only backend. */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** Starts tracing when `config.endpoint` is set; undefined (and nothing loaded) otherwise. */
export async function startTracing(
  config: TracingConfig,
  defaultServiceName: string,
): Promise<Tracing | undefined> {
  if (!config.endpoint) return undefined;
  // One provider per process: a second host in the same process (tests) shares the first's.
  if (active) return active;
  const [
    api,
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    resources,
    sdk,
    otlp,
    pg,
    { otelBackend },
  ] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/instrumentation-pg'),
    import('./otel-backend.ts'),
  ]);
  const serviceName = config.serviceName ?? defaultServiceName;
  const exporter = new otlp.OTLPTraceExporter({ url: `${config.endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': serviceName }),
    // A call that comes sampled (or not) is followed as it came: one trace is whole or absent.
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(config.samplingRatio) }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);

  // The pg instrumentation patches pg's Client and pg-pool's Pool prototypes. pg is usually loaded
  // already (MikroORM imports it), so its definitions are applied to the loaded modules here too.
  const pgInstrumentation = new pg.PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true });
  pgInstrumentation.setTracerProvider(provider);
  const requireHere = createRequire(import.meta.url);
  const patched: Array<() => void> = [];
  for (const definition of pgInstrumentation.getModuleDefinitions()) {
    const loaded = requireHere(definition.name) as object;
    const manifest = findPackageJSON(definition.name, import.meta.url);
    const { version } = JSON.parse(manifest ? readFileSync(manifest, 'utf8') : '{}') as { version: string };
    definition.patch?.(loaded, version);
    patched.push(() => definition.unpatch?.(loaded, version));
  }

  useSpanBackend(otelBackend(api.trace.getTracer('anychat')));
  const tracing: Tracing = {
    flush: () => provider.forceFlush(),
    async shutdown() {
      if (active !== tracing) return;
      active = undefined;
      useSpanBackend(undefined);
      for (const unpatch of patched) unpatch();
      pgInstrumentation.disable();
      await provider.shutdown();
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
    },
  };
  active = tracing;
  return tracing;
}

/** The running tracing of this process, if any (tests flush it before querying the backend). */
export const activeTracing = (): Tracing | undefined => active;
