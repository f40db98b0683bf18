/**
 * `spec.observability.tracing` of an ImCluster: one OTLP/HTTP endpoint and one sampling rate for
 * the apps (as OpenTelemetry's environment: common/tracing-config.ts) and for their Dapr sidecars
 * (the Dapr Configuration's `tracing.otel`), so that daprd's spans join the apps' traces by W3C
 * traceparent and one message is one whole trace (or none: both sample alike).
 */
import type { ImCluster } from './spec.ts';

export interface ObservabilityTracing {
  /** OTLP/HTTP base URL of the trace backend (Jaeger v2, an OpenTelemetry Collector), e.g. http://jaeger-collector.observability:4318. */
  endpoint: string;
  /** Share of new traces recorded, "0" to "1". */
  samplingRate: string;
}

/** The apps' tracing environment; none when the ImCluster asks for no tracing. */
export function tracingEnv(cluster: ImCluster): Array<{ name: string; value: string }> {
  const tracing = cluster.spec.observability?.tracing;
  if (!tracing) return [];
  return [
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: tracing.endpoint },
    { name: 'OTEL_TRACES_SAMPLER_ARG', value: tracing.samplingRate },
  ];
}

/** daprd's OTLP exporter for the same endpoint: host:port over HTTP, secure for https. */
export function sidecarOtel(tracing: ObservabilityTracing): {
  endpointAddress: string;
  protocol: 'http';
  isSecure: boolean;
} {
  const url = new URL(tracing.endpoint);
  const secure = url.protocol === 'https:';
  return {
    endpointAddress: `${url.hostname}:${url.port || (secure ? '443' : '80')}`,
    protocol: 'http',
    isSecure: secure,
  };
}
