/** What the load generators share: accounts, sockets, the platform they start, statistics. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CapturedOutput, PLATFORM_SERVING, stopProcess, track } from '../support/processes.ts';

export async function call<T>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url + path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const envelope = (await response.json()) as { code: number; data: T; message: string };
    if (envelope.code === 0) return envelope.data;
    // Too many requests, or a service that could not answer now (503: try again) on a loaded machine.
    if ((response.status === 429 || response.status === 503) && attempt < 20) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    throw new Error(`${method} ${path}: ${response.status} ${envelope.code} ${envelope.message}`);
  }
}

export async function register(url: string, name: string) {
  const data = await call<{ userId: string; accessToken: string }>(url, 'POST', '/api/v1/auth/register', {
    account: name,
    password: 'loadTest123',
    deviceType: 'Web',
    deviceId: `load-${name}`,
  });
  return data;
}

/** Makes `from` and `to` friends: `to` stops verifying requests, `from` asks. */
export async function befriend(
  url: string,
  from: { accessToken: string },
  to: { userId: string; accessToken: string },
) {
  await call(url, 'PUT', '/api/v1/users/settings', { friendVerify: false }, to.accessToken);
  await call(
    url,
    'POST',
    '/api/v1/friends/requests',
    { userId: to.userId, message: 'load', source: 'search' },
    from.accessToken,
  );
}

export interface LoadFrame {
  type: string;
  msgId?: string;
  message?: string;
  data?: { messageId: string; content: unknown };
}

/**
 * Opens a socket and waits for CONNECT_ACK. A connect refused for a server-side fault (CONNECT_ERROR
 * with `retryAfterMs`, e.g. the database out of connections on a loaded machine) is tried again after
 * the delay it names, as an app does, up to 5 times.
 */
export async function connect(url: string, token: string, onFrame: (frame: LoadFrame) => void) {
  for (let attempt = 1; ; attempt++) {
    const opened = await new Promise<WebSocket | { retryAfterMs: number }>((resolve, reject) => {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`);
      ws.on('error', reject);
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString());
        if (frame.type === 'CONNECT_ACK') resolve(ws);
        if (frame.type === 'CONNECT_ERROR') {
          const retryAfterMs = frame.data?.retryAfterMs;
          if (typeof retryAfterMs === 'number' && attempt < 5) resolve({ retryAfterMs });
          else reject(new Error(frame.message));
          return;
        }
        onFrame(frame);
      });
    });
    if (!('retryAfterMs' in opened)) return opened;
    await new Promise((resolve) => setTimeout(resolve, opened.retryAfterMs));
  }
}

/** Runs `work` for 0..count-1, 50 at a time. */
export async function inBatches(count: number, work: (index: number) => Promise<void>) {
  for (let start = 0; start < count; start += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, count - start) }, (_, offset) => work(start + offset)),
    );
}

/** Memory of the server process, from its Prometheus endpoint (`METRICS_PORT`, not the API port). */
export async function serverMemory(metricsUrl: string) {
  const text = await (await fetch(metricsUrl)).text();
  const metric = (name: string) =>
    Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rss: metric('process_resident_memory_bytes'), heapUsed: metric('nodejs_heap_size_used_bytes') };
}

export function percentile(sorted: number[], p: number) {
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function startPlatform(): Promise<{
  url: string;
  metricsUrl: string;
  stop: () => Promise<void>;
}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'anychat-load-'));
  const child = track(
    spawn(process.execPath, ['services/main.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ANYCHAT_DATA_DIR: dataDir,
        RATE_LIMIT_FACTOR: '10000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  // The platform's own log lines (warnings and errors) go to this process's stderr.
  const output = new CapturedOutput(child, process.stderr);
  // A fresh database's migrations on a busy machine can take minutes; a benchmark waits for them.
  const [, url] = await output.waitFor(PLATFORM_SERVING, 600_000);
  // Printed before the serving line.
  const [, metricsUrl] = await output.waitFor(/Prometheus metrics: (http:\/\/\S+)/);
  return {
    url: url!,
    metricsUrl: metricsUrl!,
    stop: async () => {
      await stopProcess(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The cluster shape on real sidecars with one gateway: REST through the ingress, sockets to the gateway. */
export async function startDaprShape(
  broker: string,
): Promise<{ url: string; wsUrl: string; metricsUrl: string; stop: () => Promise<void> }> {
  if (broker !== 'nats' && broker !== 'redis') throw new Error('--dapr takes nats or redis');
  process.env.TEST_LOG_LEVEL ??= 'warn';
  const { DaprCluster } = await import('../support/dapr-cluster.ts');
  const cluster = await DaprCluster.start({
    broker,
    state: broker === 'nats' ? 'redis' : 'postgresql',
    gateways: 1,
    env: { RATE_LIMIT_FACTOR: '10000' },
  });
  return {
    url: cluster.api.baseUrl,
    wsUrl: cluster.gateways[0]!.url,
    metricsUrl: cluster.gateways[0]!.metricsUrl,
    stop: () => cluster.stop(),
  };
}
