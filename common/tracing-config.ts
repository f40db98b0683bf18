/**
 * Tracing settings, by OpenTelemetry's own environment names so that a platform team's usual
 * settings work: OTEL_EXPORTER_OTLP_ENDPOINT alone turns tracing on (unset: off, nothing started),
 * OTEL_TRACES_SAMPLER_ARG is the share of new traces recorded, OTEL_SERVICE_NAME overrides the
 * process's name. The services (services/platform/config.ts) and the operator read them alike.
 */
import { z } from 'zod';

export const tracingEnvShape = {
  /** OTLP/HTTP base URL (e.g. http://jaeger:4318); traces go to <it>/v1/traces. Unset: tracing off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** Share of new traces recorded, 0–1; a call that comes sampled (or not) is followed as it came. */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
  /** The `service.name` of this process's spans. Unset: anychat-<service> (anychat for the embedded host). */
  OTEL_SERVICE_NAME: z.string().min(1).max(100).optional(),
  /** `true` turns tracing off whatever the endpoint (OpenTelemetry's switch). */
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).optional(),
};

export interface TracingConfig {
  /** Where spans go; undefined: tracing off. */
  endpoint: string | undefined;
  samplingRatio: number;
  serviceName: string | undefined;
}

type TracingEnv = z.infer<z.ZodObject<typeof tracingEnvShape>>;

export function tracingConfigOf(env: TracingEnv): TracingConfig {
  return {
    endpoint: env.OTEL_SDK_DISABLED === 'true' ? undefined : env.OTEL_EXPORTER_OTLP_ENDPOINT,
    samplingRatio: env.OTEL_TRACES_SAMPLER_ARG,
    serviceName: env.OTEL_SERVICE_NAME,
  };
}

/** The tracing settings of this process's environment (the operator's; services go through loadConfig). */
export function tracingConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = z.object(tracingEnvShape).safeParse(cleaned);
  if (!parsed.success)
    throw new Error(
      `invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return tracingConfigOf(parsed.data);
}
