/**
 * Group chat load generator (a benchmark, not a test): one group of `--size` members, each a real
 * WebSocket client; `--senders` of them send at `--rate` messages/s in total. Reports deliveries per
 * second (one message reaching one member), send-to-delivery and send-to-SEND_ACK latency
 * percentiles, and checks that every member got every other member's message exactly once, in the
 * same (seq) order.
 *
 *   npm run load:group -- --start --size 200 --senders 5 --rate 20 --duration 20
 *
 * `--start` spawns the embedded platform (PGlite, or DATABASE_URL when set), as `npm run load` does.
 * `--floor` runs the same members, sends and checks against a bare `ws` relay instead
 * (test/bench/ws-group-relay.ts): the floor of the same run, no accounts or group made. Each setup
 * phase reports how long it took.
 * Groups past 1,000 members (the create call's limit) are filled by invitations; the platform
 * needs GROUP_MAX_MEMBERS and FRIEND_MAX_FRIENDS (the owner befriends everyone) at least `--size`.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import type WebSocket from 'ws';
import { CapturedOutput, stopProcess, track } from '../support/processes.ts';
import {
  befriend,
  call,
  connect,
  inBatches,
  type LoadFrame,
  percentile,
  register,
  startPlatform,
} from './support.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    start: { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
    size: { type: 'string', default: '100' },
    senders: { type: 'string', default: '5' },
    rate: { type: 'string', default: '20' },
    duration: { type: 'string', default: '15' },
  },
});

/** Most members a group is created with; the rest are invited, this many a call. */
const CREATE_LIMIT = 999;
const INVITE_LIMIT = 500;

interface Member {
  userId: string;
  token: string;
  ws?: WebSocket;
  /** seq of each received message, in arrival order. */
  seqs: number[];
  seen: Set<string>;
  duplicates: number;
}

/** Makes the group: `size` accounts, the owner befriends the others and creates it. */
async function makeGroup(url: string, size: number, members: Member[]) {
  const prefix = `gl${Date.now().toString(36)}`;
  await inBatches(size, async (i) => {
    const user = await register(url, `${prefix}m${i}`);
    members[i] = { userId: user.userId, token: user.accessToken, seqs: [], seen: new Set(), duplicates: 0 };
  });
  phase(`${size} members registered`);
  // Only the owner's friends are put into a group directly (strangers get an invitation).
  const owner = { accessToken: members[0]!.token };
  await inBatches(size - 1, async (i) => {
    const member = members[i + 1]!;
    await befriend(url, owner, { userId: member.userId, accessToken: member.token });
  });
  phase('owner befriended them');
  const others = members.slice(1).map((m) => m.userId);
  const group = await call<{ groupId: string }>(
    url,
    'POST',
    '/api/v1/groups',
    { name: 'load', memberIds: others.slice(0, CREATE_LIMIT) },
    members[0]!.token,
  );
  for (let start = CREATE_LIMIT; start < others.length; start += INVITE_LIMIT)
    await call(
      url,
      'POST',
      `/api/v1/groups/${group.groupId}/members`,
      { userIds: others.slice(start, start + INVITE_LIMIT) },
      members[0]!.token,
    );
  phase(`group of ${size} made`);
  return group.groupId;
}

const phaseStarted = performance.now();
function phase(what: string) {
  console.error(`${what} (${((performance.now() - phaseStarted) / 1000).toFixed(1)} s)`);
}

async function run(url: string) {
  const size = Number(values.size);
  const senderCount = Math.min(Number(values.senders), size);
  const rate = Number(values.rate);
  const duration = Number(values.duration);
  const members: Member[] = [];
  let groupId = '0';
  if (values.floor)
    for (let i = 0; i < size; i++)
      members[i] = { userId: String(i), token: 'floor', seqs: [], seen: new Set(), duplicates: 0 };
  else groupId = await makeGroup(url, size, members);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const ackLatencies: number[] = [];
  let acked = 0;
  let errors = 0;
  await inBatches(size, async (i) => {
    const member = members[i]!;
    member.ws = await connect(url, member.token, (frame: LoadFrame) => {
      if (frame.type === 'SEND_ACK') {
        acked++;
        const started = sentAt.get(`g${frame.msgId?.slice(2)}`);
        if (started !== undefined) ackLatencies.push(performance.now() - started);
      }
      if (frame.type === 'ERROR') errors++;
      if (frame.type !== 'NEW_MESSAGE' || !frame.data) return;
      const data = frame.data as { messageId: string; content: unknown; seq?: number; contentType?: string };
      member.ws!.send(JSON.stringify({ type: 'MESSAGE_ACK', data: { messageIds: [data.messageId] } }));
      if (data.contentType !== 'text') return;
      const key = String(data.content);
      if (member.seen.has(key)) {
        member.duplicates++;
        return;
      }
      member.seen.add(key);
      member.seqs.push(Number(data.seq));
      const started = sentAt.get(key);
      if (started !== undefined) latencies.push(performance.now() - started);
    });
  });
  phase(`${size} members connected`);

  const intervalMs = 1000 / rate;
  const deadline = performance.now() + duration * 1000;
  const sendStarted = performance.now();
  let next = sendStarted;
  let sent = 0;
  while (performance.now() < deadline) {
    const sender = members[sent % senderCount]!;
    const key = `g${sent}`;
    sentAt.set(key, performance.now());
    sender.ws!.send(
      JSON.stringify({
        type: 'SEND_MESSAGE',
        msgId: `gm${sent}`,
        data: { sessionType: 'group', targetId: groupId, contentType: 'text', content: key },
      }),
    );
    sent++;
    next += intervalMs;
    const wait = next - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const expectedDeliveries = () => sent * (size - 1);
  const delivered = () => members.reduce((n, m) => n + m.seen.size, 0);
  const settleUntil = performance.now() + 20_000;
  while (performance.now() < settleUntil && (acked + errors < sent || delivered() < expectedDeliveries()))
    await new Promise((resolve) => setTimeout(resolve, 100));
  const elapsedS = (performance.now() - sendStarted) / 1000;
  for (const member of members) member.ws?.terminate();

  const missing = expectedDeliveries() - delivered();
  const reordered = members.filter((m) => m.seqs.some((seq, i) => i > 0 && seq <= m.seqs[i - 1]!)).length;
  const duplicates = members.reduce((n, m) => n + m.duplicates, 0);
  latencies.sort((a, b) => a - b);
  ackLatencies.sort((a, b) => a - b);
  const report = {
    server: values.floor ? 'ws relay (floor)' : 'platform',
    groupSize: size,
    senders: senderCount,
    targetRate: rate,
    durationS: duration,
    sent,
    acked,
    errors,
    deliveries: delivered(),
    missing,
    duplicates,
    membersWithReorder: reordered,
    deliveriesPerSecond: Number((delivered() / elapsedS).toFixed(1)),
    latencyMs: {
      p50: Number(percentile(latencies, 50).toFixed(1)),
      p95: Number(percentile(latencies, 95).toFixed(1)),
      p99: Number(percentile(latencies, 99).toFixed(1)),
      max: Number((latencies.at(-1) ?? 0).toFixed(1)),
    },
    ackLatencyMs: {
      p50: Number(percentile(ackLatencies, 50).toFixed(1)),
      p99: Number(percentile(ackLatencies, 99).toFixed(1)),
      max: Number((ackLatencies.at(-1) ?? 0).toFixed(1)),
    },
  };
  const ok = missing === 0 && duplicates === 0 && reordered === 0 && acked === sent;
  console.log(JSON.stringify(report, null, 2));
  console.log(
    `${ok ? 'OK' : 'FAILED'}: group of ${size}, ${senderCount} senders, ${acked}/${sent} acked, ` +
      `${report.deliveries} deliveries (${missing} missing, ${duplicates} dup, ${reordered} members reordered), ` +
      `${report.deliveriesPerSecond} deliveries/s, p50 ${report.latencyMs.p50} ms p95 ${report.latencyMs.p95} ms ` +
      `p99 ${report.latencyMs.p99} ms max ${report.latencyMs.max} ms; SEND_ACK p50 ${report.ackLatencyMs.p50} ms ` +
      `p99 ${report.ackLatencyMs.p99} ms`,
  );
  return ok;
}

/** The floor's server: the bare relay, in a process of its own as the platform is. */
async function startRelay() {
  const child = track(
    spawn(process.execPath, ['test/bench/ws-group-relay.ts'], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const [, port] = await new CapturedOutput(child, process.stderr).waitFor(/group relay listening on (\d+)/);
  return { url: `http://127.0.0.1:${port}`, stop: async () => void (await stopProcess(child)) };
}

const started = values.floor ? await startRelay() : values.start ? await startPlatform() : undefined;
const url = values.url ?? started?.url;
try {
  if (!url) throw new Error('give --url of a running platform, or --start');
  process.exitCode = (await run(url)) ? 0 : 1;
} finally {
  await started?.stop();
}
