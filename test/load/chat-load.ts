/**
 * Chat load generator (a benchmark, not a test): N pairs of real WebSocket clients against a running
 * platform; each pair's sender sends at a steady rate to its receiver. Reports sent / acked /
 * delivered counts, end-to-end latency from send to the receiver's NEW_MESSAGE, messages per second
 * and the server's memory per connection (from its /metrics on METRICS_PORT), as JSON plus a one-line summary, and
 * fails when anything acknowledged was lost, duplicated or reordered.
 *
 *   npm run load -- --start --pairs 200 --rate 400 --duration 20
 *   npm run load -- --url http://localhost:8080 --metrics-url http://localhost:9464/metrics --pairs 5000 --rate 2000 --workers 2
 *
 *   npm run load -- --dapr nats --pairs 50 --rate 100 --duration 20
 *
 * `--dapr nats|redis` starts the cluster shape on real sidecars (test/support/dapr-cluster.ts: every
 * service its own process and daprd, one gateway; REST through the test ingress, sockets to the
 * gateway), with NATS JetStream or Redis Streams. `--start` spawns the embedded platform (PGlite in a temporary directory, or DATABASE_URL when set)
 * with rate limits raised for one address. Against an existing server, start it with
 * RATE_LIMIT_FACTOR high enough for the registrations the run makes from one address.
 * Each worker process holds up to ~9,000 pairs (open files are capped at 20,000 per process).
 */
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import type WebSocket from 'ws';
import {
  befriend,
  connect,
  inBatches,
  percentile,
  register,
  serverMemory,
  startDaprShape,
  startPlatform,
} from './support.ts';

interface Options {
  url: string;
  /** Where the WebSockets go (a gateway); the REST url unless the two differ (cluster shape). */
  wsUrl: string;
  pairs: number;
  rate: number;
  duration: number;
  workers: number;
}

interface WorkerResult {
  sent: number;
  acked: number;
  errors: number;
  delivered: number;
  duplicates: number;
  reordered: number;
  lost: number;
  latencies: number[];
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    'ws-url': { type: 'string' },
    'metrics-url': { type: 'string' },
    start: { type: 'boolean', default: false },
    dapr: { type: 'string' },
    pairs: { type: 'string', default: '100' },
    rate: { type: 'string', default: '200', short: 'r' },
    duration: { type: 'string', default: '15' },
    workers: { type: 'string' },
    worker: { type: 'boolean', default: false },
  },
});

const PAIRS_PER_WORKER = 9000;

/** Tells the coordinator a phase is done and waits for its go-ahead. */
async function step(phase: string) {
  process.send?.({ type: phase });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
}

/** One worker: registers its pairs, connects them, sends at its share of the rate, reports. */
async function runWorker(
  url: string,
  wsUrl: string,
  pairs: number,
  ratePerSecond: number,
  durationS: number,
  tag: string,
) {
  const result: WorkerResult = {
    sent: 0,
    acked: 0,
    errors: 0,
    delivered: 0,
    duplicates: 0,
    reordered: 0,
    lost: 0,
    latencies: [],
  };
  const prefix = `ld${Date.now().toString(36)}${tag}`;
  const clients: Array<{ sender: WebSocket; receiver: WebSocket; targetId: string; acked: Set<number> }> = [];
  const received = new Map<number, { last: number; seen: Set<number> }>();
  const sentAt = new Map<string, number>();
  const accounts: Array<{ a: { accessToken: string }; b: { userId: string; accessToken: string } }> = [];
  await inBatches(pairs, async (index) => {
    const a = await register(url, `${prefix}a${index}`);
    const b = await register(url, `${prefix}b${index}`);
    await befriend(url, a, b);
    accounts[index] = { a, b };
  });
  // The server's memory is read between registration and connection: the difference is the sockets'.
  await step('registered');

  await inBatches(pairs, async (index) => {
    const { a, b } = accounts[index]!;
    const state = { last: -1, seen: new Set<number>() };
    received.set(index, state);
    const receiver = await connect(wsUrl, b.accessToken, (frame) => {
      if (frame.type !== 'NEW_MESSAGE' || !frame.data) return;
      receiver.send(JSON.stringify({ type: 'MESSAGE_ACK', data: { messageIds: [frame.data.messageId] } }));
      const n = Number(String(frame.data.content).split(':')[1]);
      const started = sentAt.get(`${index}:${n}`);
      if (started !== undefined) result.latencies.push(performance.now() - started);
      if (state.seen.has(n)) result.duplicates++;
      else {
        state.seen.add(n);
        result.delivered++;
      }
      if (n < state.last) result.reordered++;
      state.last = Math.max(state.last, n);
    });
    const acked = new Set<number>();
    const sender = await connect(wsUrl, a.accessToken, (frame) => {
      if (frame.type === 'SEND_ACK') {
        result.acked++;
        acked.add(Number(frame.msgId!.split('-')[1]));
      } else if (frame.type === 'ERROR') result.errors++;
    });
    clients[index] = { sender, receiver, targetId: b.userId, acked };
  });
  await step('connected');

  // Every pair sends in turn, spread evenly over each second.
  const intervalMs = 1000 / ratePerSecond;
  const counters = new Array<number>(pairs).fill(0);
  const deadline = performance.now() + durationS * 1000;
  let next = performance.now();
  let turn = 0;
  while (performance.now() < deadline) {
    const index = turn++ % pairs;
    const client = clients[index]!;
    const n = counters[index]!++;
    sentAt.set(`${index}:${n}`, performance.now());
    client.sender.send(
      JSON.stringify({
        type: 'SEND_MESSAGE',
        msgId: `m${index}-${n}`,
        data: { sessionType: 'single', targetId: client.targetId, contentType: 'text', content: `load:${n}` },
      }),
    );
    result.sent++;
    next += intervalMs;
    const wait = next - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    else if (turn % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  // Let the last sends be answered and the last messages arrive.
  const settleUntil = performance.now() + 15_000;
  while (
    performance.now() < settleUntil &&
    (result.acked + result.errors < result.sent || result.delivered < result.acked)
  )
    await new Promise((resolve) => setTimeout(resolve, 100));
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const [index, client] of clients.entries()) {
    const seen = received.get(index)!.seen;
    for (const n of client.acked) if (!seen.has(n)) result.lost++;
    client.sender.terminate();
    client.receiver.terminate();
  }
  return result;
}

async function main() {
  const pairs = Number(values.pairs);
  const rate = Number(values.rate);
  const duration = Number(values.duration);
  if (values.worker) {
    const options = JSON.parse(process.env.LOAD_OPTIONS!) as Options & { tag: string };
    const result = await runWorker(
      options.url,
      options.wsUrl,
      options.pairs,
      options.rate,
      options.duration,
      options.tag,
    );
    process.send!({ type: 'result', result });
    return;
  }
  const started: { url: string; wsUrl?: string; metricsUrl: string; stop(): Promise<void> } | undefined =
    values.dapr ? await startDaprShape(values.dapr) : values.start ? await startPlatform() : undefined;
  const url = values.url ?? started?.url;
  if (!url) throw new Error('give --url of a running platform, --start, or --dapr nats|redis');
  const wsUrl = values['ws-url'] ?? started?.wsUrl ?? url;
  const metricsUrl = values['metrics-url'] ?? started?.metricsUrl;
  if (!metricsUrl) throw new Error("give --metrics-url (the server's METRICS_PORT) with --url");
  try {
    const workers = Number(values.workers ?? Math.ceil(pairs / PAIRS_PER_WORKER));
    const children = Array.from({ length: workers }, (_, i) => {
      const share = Math.floor(pairs / workers) + (i < pairs % workers ? 1 : 0);
      return fork(process.argv[1]!, ['--worker'], {
        env: {
          ...process.env,
          LOAD_OPTIONS: JSON.stringify({
            url,
            wsUrl,
            pairs: share,
            rate: rate / workers,
            duration,
            tag: `w${i}`,
          }),
        },
      });
    });
    const phase = () =>
      Promise.all(
        children.map(
          (child) =>
            new Promise((resolve, reject) => {
              child.once('message', resolve);
              child.once('exit', (code) => reject(new Error(`worker exited with ${code} during setup`)));
            }),
        ),
      );
    const setupStarted = performance.now();
    await phase();
    const before = await serverMemory(metricsUrl);
    for (const child of children) child.send('connect');
    await phase();
    const setupS = (performance.now() - setupStarted) / 1000;
    const connected = await serverMemory(metricsUrl);
    const results = children.map(
      (child) =>
        new Promise<WorkerResult>((resolve) =>
          child.on('message', (message: { type: string; result: WorkerResult }) => {
            if (message.type === 'result') resolve(message.result);
          }),
        ),
    );
    const sendStarted = performance.now();
    for (const child of children) child.send('go');
    const all = await Promise.all(results);
    const sum = (key: keyof Omit<WorkerResult, 'latencies'>) => all.reduce((n, r) => n + r[key], 0);
    const latencies = all.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const sockets = pairs * 2;
    const report = {
      pairs,
      sockets,
      workers,
      targetRate: rate,
      durationS: duration,
      setupS: Number(setupS.toFixed(1)),
      sent: sum('sent'),
      acked: sum('acked'),
      errors: sum('errors'),
      delivered: sum('delivered'),
      duplicates: sum('duplicates'),
      reordered: sum('reordered'),
      lost: sum('lost'),
      // Over the sending window plus however long the tail took to drain.
      messagesPerSecond: Number((sum('delivered') / ((performance.now() - sendStarted) / 1000)).toFixed(1)),
      latencyMs: {
        p50: Number(percentile(latencies, 50).toFixed(1)),
        p95: Number(percentile(latencies, 95).toFixed(1)),
        p99: Number(percentile(latencies, 99).toFixed(1)),
        max: Number((latencies.at(-1) ?? 0).toFixed(1)),
      },
      serverMemory: {
        rssBeforeMiB: Number((before.rss / 2 ** 20).toFixed(1)),
        rssConnectedMiB: Number((connected.rss / 2 ** 20).toFixed(1)),
        perConnectionKiB: Number(((connected.rss - before.rss) / sockets / 1024).toFixed(1)),
        heapPerConnectionKiB: Number(((connected.heapUsed - before.heapUsed) / sockets / 1024).toFixed(1)),
      },
    };
    const ok = report.lost === 0 && report.duplicates === 0 && report.reordered === 0 && report.acked > 0;
    console.log(JSON.stringify(report, null, 2));
    console.log(
      `${ok ? 'OK' : 'FAILED'}: ${sockets} sockets, ${report.acked}/${report.sent} acked, ${report.delivered} delivered, ` +
        `${report.lost} lost, ${report.duplicates} dup, ${report.reordered} reordered, ${report.messagesPerSecond} msg/s, ` +
        `p50 ${report.latencyMs.p50} ms p95 ${report.latencyMs.p95} ms p99 ${report.latencyMs.p99} ms max ${report.latencyMs.max} ms, ` +
        `${report.serverMemory.perConnectionKiB} KiB RSS per connection`,
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    await started?.stop();
  }
}

await main();
