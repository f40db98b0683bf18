/**
 * A real trace backend for the tracing suites: Jaeger v2 (the OpenTelemetry-Collector-based
 * all-in-one) built once from the Go module proxy (scripts/test-env/ensure-jaeger.sh), started
 * with an OTLP receiver, in-memory storage and its query API on free loopback ports, and queried
 * back through the query API's JSON (`/api/traces`).
 */

import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnLogged, stopProcesses, tail, waitForHttp } from './processes.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** Path of the jaeger binary, built once per machine if needed (scripts/test-env/ensure-jaeger.sh). */
export async function ensureJaeger(): Promise<string> {
  try {
    const { stdout } = await run(join(ROOT, 'scripts/test-env/ensure-jaeger.sh'), [], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim().split('\n').at(-1)!;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `no jaeger: scripts/test-env/ensure-jaeger.sh failed:\n${stderr.split('\n').slice(-20).join('\n')}`,
    );
  }
}

/** A span as Jaeger's query API answers it. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  processID: string;
  tags: Array<{ key: string; type: string; value: unknown }>;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export interface Jaeger {
  /** OTLP/HTTP base URL: what OTEL_EXPORTER_OTLP_ENDPOINT is set to. */
  otlpHttpUrl: string;
  /** OTLP/gRPC host:port (daprd's otel exporter, protocol grpc). */
  otlpGrpcEndpoint: string;
  queryUrl: string;
  logFile: string;
  /** One trace by id; undefined while Jaeger has none. */
  trace(traceId: string): Promise<JaegerTrace | undefined>;
  /** Traces of a service, optionally those with a tag (`{key: value}`). */
  traces(service: string, tags?: Record<string, string>): Promise<JaegerTrace[]>;
  stop(): Promise<void>;
}

/** Jaeger v2's configuration: OTLP in, memory storage, the query API; nothing off loopback. */
export function jaegerConfig(ports: {
  otlpGrpc: number;
  otlpHttp: number;
  query: number;
  queryGrpc: number;
}) {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: info

extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${ports.query}
    grpc:
      endpoint: 127.0.0.1:${ports.queryGrpc}

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${ports.otlpGrpc}
      http:
        endpoint: 127.0.0.1:${ports.otlpHttp}

processors:
  batch:
    timeout: 200ms

exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

export async function startJaeger(): Promise<Jaeger> {
  const binary = await ensureJaeger();
  const ports = {
    otlpGrpc: await freePort(),
    otlpHttp: await freePort(),
    query: await freePort(),
    queryGrpc: await freePort(),
  };
  const workDir = mkdtempSync(join(tmpdir(), 'anychat-jaeger-'));
  const configFile = join(workDir, 'jaeger.yaml');
  const logFile = join(workDir, 'jaeger.log');
  writeFileSync(configFile, jaegerConfig(ports));
  const child: ChildProcess = spawnLogged(binary, ['--config', configFile], { logFile, cwd: workDir });
  const queryUrl = `http://127.0.0.1:${ports.query}`;
  const stop = async () => {
    await stopProcesses([child]);
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp('jaeger query API', `${queryUrl}/api/services`, 60_000, () => tail(logFile));
  } catch (error) {
    await stop();
    throw error;
  }
  const get = async (path: string) => {
    const response = await fetch(`${queryUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`jaeger ${path}: HTTP ${response.status} ${await response.text()}`);
    return ((await response.json()) as { data: JaegerTrace[] | null }).data ?? [];
  };
  return {
    otlpHttpUrl: `http://127.0.0.1:${ports.otlpHttp}`,
    otlpGrpcEndpoint: `127.0.0.1:${ports.otlpGrpc}`,
    queryUrl,
    logFile,
    async trace(traceId) {
      return (await get(`/api/traces/${traceId}`))?.[0];
    },
    async traces(service, tags) {
      const query = new URLSearchParams({ service, limit: '100', lookback: '1h' });
      if (tags) query.set('tags', JSON.stringify(tags));
      return (await get(`/api/traces?${query}`)) ?? [];
    },
    stop,
  };
}

/** The value of a span's tag, if it has it. */
export const tagOf = (span: JaegerSpan, key: string): unknown =>
  span.tags.find((tag) => tag.key === key)?.value;

/** The span's parent within its trace (CHILD_OF), if any. */
export const parentIdOf = (span: JaegerSpan): string | undefined =>
  span.references.find((reference) => reference.refType === 'CHILD_OF')?.spanID;
