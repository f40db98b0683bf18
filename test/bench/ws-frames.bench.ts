/**
 * WebSocket frames: JSON vs binary protobuf, per-message compression on vs off, each against a
 * floor measured in the same run (a bare `ws` relay, test/bench/ws-relay.ts, moving the same
 * frames). `scripts/node24 node test/bench/ws-frames.bench.ts [pairs] [msgs/s] [seconds]`.
 *
 * For each server (the relay without compression, with ws's default zlib windows and with the
 * gateway's settings; then the platform — one process, all services, the machine's PostgreSQL —
 * with GATEWAY_COMPRESSION off and on) and each encoding, `pairs` senders send
 * text messages to their receivers at `msgs/s` in total for `seconds`, first short (100
 * characters) then long (2,000, over the 1 KB threshold); receivers acknowledge. Measured: the
 * server process's CPU (from /proc) per 1,000 delivered messages, the bytes each delivered message
 * took as a frame and on the wire, and the server's resident memory per connection after the JSON
 * phases (sockets, and zlib state where compression ran). Prints JSON; results go to BENCHMARKS.md
 * by hand with the machine and its load.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import WebSocket from 'ws';
import { encodeClientFrame } from '../../services/gateway/protocol/index.ts';
import { befriend, inBatches, register } from '../load/support.ts';
import { createBackend } from '../support/backends.ts';
import { CapturedOutput, PLATFORM_SERVING, stopProcess, track } from '../support/processes.ts';
import { type Encoding, WsClient } from '../support/ws-client.ts';

const PAIRS = Number(process.argv[2] ?? 100);
const RATE = Number(process.argv[3] ?? 200);
const SECONDS = Number(process.argv[4] ?? 10);
const TICKS_PER_SECOND = 100;

/** CPU seconds and resident bytes of a process, from /proc. */
function processStats(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return { cpuSeconds, rssBytes: rssKiB * 1024 };
}

/** Text like a chat message's, different every time (compresses like prose, not like repetition). */
let seed = 42;
const WORDS =
  'the a message friend group send today tomorrow meeting photo call later thanks yes no maybe we you they home work lunch dinner train late sorry great idea plan weekend coffee office project update review done ok see soon'.split(
    ' ',
  );
function text(length: number) {
  let out = '';
  while (out.length < length) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    out += `${WORDS[seed % WORDS.length]}${seed % 7 === 0 ? '. ' : ' '}`;
  }
  return out.slice(0, length);
}

interface Pair {
  send(frame: Record<string, unknown>): void;
  received(): { messages: number; frameBytes: number; wireBytes: number };
  close(): Promise<void>;
}

const wireBytesOf = (ws: WebSocket) =>
  (ws as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;

/** A sender and a receiver on the bare relay, sending frames as the encoding writes them. */
async function relayPair(port: number, index: number, encoding: Encoding): Promise<Pair> {
  const open = (role: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/?pair=${index}&role=${role}`);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  const receiver = await open('receiver');
  const sender = await open('sender');
  let messages = 0;
  let frameBytes = 0;
  receiver.on('message', (data: Buffer) => {
    messages++;
    frameBytes += data.byteLength;
  });
  return {
    send: (frame) => sender.send(encoding === 'proto' ? encodeClientFrame(frame) : JSON.stringify(frame)),
    received: () => ({ messages, frameBytes, wireBytes: wireBytesOf(receiver) }),
    close: async () => {
      sender.close();
      receiver.close();
    },
  };
}

/** Connects, again after a timeout: on a loaded machine a CONNECT_ACK can take longer than the client waits. */
async function connectPatiently(url: string, token: string, encoding: Encoding): Promise<WsClient> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await WsClient.connect(url, token, { encoding });
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** A sender and a receiver of two befriended users on the platform's gateway. */
async function gatewayPair(
  url: string,
  users: { sender: { accessToken: string }; receiver: { userId: string; accessToken: string } },
  encoding: Encoding,
): Promise<Pair> {
  const receiver = await connectPatiently(url, users.receiver.accessToken, encoding);
  const sender = await connectPatiently(url, users.sender.accessToken, encoding);
  return {
    send: (frame) => sender.send(frame),
    received: () => ({
      messages: receiver.messages().length,
      frameBytes: receiver.receivedBytes,
      wireBytes: wireBytesOf(receiver.ws),
    }),
    close: async () => {
      await Promise.all([sender.close(), receiver.close()]);
    },
  };
}

/** Sends at RATE for SECONDS (round robin over the pairs), waits for the deliveries, measures. */
async function phase(pid: number, pairs: Pair[], targetIds: string[], length: number) {
  const total = (key: 'messages' | 'frameBytes' | 'wireBytes') =>
    pairs.reduce((sum, pair) => sum + pair.received()[key], 0);
  const before = {
    stats: processStats(pid),
    messages: total('messages'),
    frame: total('frameBytes'),
    wire: total('wireBytes'),
  };
  const count = RATE * SECONDS;
  const started = performance.now();
  for (let sent = 0; sent < count; sent++) {
    const due = started + (sent / RATE) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const index = sent % pairs.length;
    pairs[index]!.send({
      type: 'SEND_MESSAGE',
      msgId: `b${Date.now().toString(36)}${sent}`,
      data: { sessionType: 'single', targetId: targetIds[index], contentType: 'text', content: text(length) },
    });
  }
  const deadline = Date.now() + 30_000;
  while (total('messages') - before.messages < count && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const after = processStats(pid);
  const delivered = total('messages') - before.messages;
  const cpuSeconds = after.cpuSeconds - before.stats.cpuSeconds;
  const elapsed = (performance.now() - started) / 1000;
  return {
    contentChars: length,
    delivered,
    lost: count - delivered,
    serverCpuMsPer1000: Math.round((cpuSeconds * 1e6) / delivered),
    serverCpuPercentOfACore: Math.round((cpuSeconds / elapsed) * 100),
    frameBytesPerMessage: Math.round((total('frameBytes') - before.frame) / delivered),
    wireBytesPerMessage: Math.round((total('wireBytes') - before.wire) / delivered),
  };
}

async function measure(
  server: { pid: number },
  connect: (index: number, encoding: Encoding) => Promise<Pair>,
  targetIds: string[],
) {
  const results: Record<string, unknown> = {};
  for (const encoding of ['json', 'proto'] as const) {
    const rssBefore = processStats(server.pid).rssBytes;
    const pairs: Pair[] = [];
    await inBatches(PAIRS, async (index) => {
      pairs[index] = await connect(index, encoding);
    });
    const short = await phase(server.pid, pairs, targetIds, 100);
    const long = await phase(server.pid, pairs, targetIds, 2000);
    const rssAfter = processStats(server.pid).rssBytes;
    results[encoding] = {
      short,
      long,
      // After JSON sockets close, memory is not all given back to the system: only the first
      // encoding's growth is a clean per-connection figure.
      ...(encoding === 'json'
        ? { rssKiBPerConnection: Math.round((rssAfter - rssBefore) / 1024 / (2 * PAIRS)) }
        : {}),
    };
    await Promise.all(pairs.map((pair) => pair.close()));
  }
  return results;
}

/** Measures and prints the result at once, so that a run cut short keeps what it measured. */
async function measureAndPrint(name: string, ...args: Parameters<typeof measure>) {
  const result = await measure(...args);
  console.error(`${name}: ${JSON.stringify(result)}`);
  return result;
}

async function startServer(command: string[], env: NodeJS.ProcessEnv, ready: RegExp) {
  const child: ChildProcess = track(
    spawn(process.execPath, command, { env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const output = new CapturedOutput(child, process.stderr);
  const [, address] = await output.waitFor(ready);
  return { child, pid: child.pid!, address: address! };
}

const report: Record<string, unknown> = {
  pairs: PAIRS,
  msgsPerSecond: RATE,
  secondsPerPhase: SECONDS,
  loadAverageBefore: loadavg().map((n) => n.toFixed(2)),
};
/** The bare relay: without compression, with ws's default zlib windows, with the gateway's settings. */
for (const compression of ['false', 'default', 'true']) {
  const relay = await startServer(
    ['test/bench/ws-relay.ts'],
    { ...process.env, RELAY_COMPRESSION: compression },
    /relay listening on (\d+)/,
  );
  try {
    report[`relay, compression ${compression}`] = await measureAndPrint(
      `relay, compression ${compression}`,
      relay,
      (index, encoding) => relayPair(Number(relay.address), index, encoding),
      Array.from({ length: PAIRS }, () => '1'),
    );
  } finally {
    await stopProcess(relay.child);
  }
}

for (const compression of ['false', 'true']) {
  const backend = await createBackend('postgresql');
  const platform = await startServer(
    ['services/main.ts'],
    {
      ...process.env,
      ...backend.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_FACTOR: '10000',
      GATEWAY_COMPRESSION: compression,
    },
    PLATFORM_SERVING,
  );
  try {
    const url = platform.address;
    const users: Array<{
      sender: Awaited<ReturnType<typeof register>>;
      receiver: Awaited<ReturnType<typeof register>>;
    }> = [];
    await inBatches(PAIRS, async (index) => {
      const sender = await register(url, `bs${index}x${Date.now().toString(36)}`);
      const receiver = await register(url, `br${index}x${Date.now().toString(36)}`);
      await befriend(url, sender, receiver);
      users[index] = { sender, receiver };
    });
    report[`gateway, compression ${compression}`] = await measureAndPrint(
      `gateway, compression ${compression}`,
      platform,
      (index, encoding) => gatewayPair(url, users[index]!, encoding),
      users.map((pair) => pair.receiver.userId),
    );
  } finally {
    await stopProcess(platform.child);
    await backend.dispose();
  }
}
report.loadAverageAfter = loadavg().map((n) => n.toFixed(2));
console.log(JSON.stringify(report, null, 2));
