/**
 * Memory of idle authenticated WebSocket connections (a benchmark, not a test), and optionally the
 * reconnect storm. Starts the embedded platform on a fresh PostgreSQL database in its own process
 * (test/bench/idle-connections/measured-server.ts: --expose-gc, measured over IPC), signs in users
 * on several devices each (a connection is per device), opens the connections in stages from client
 * processes (open files are capped per process), and at each stage, once idle, collects garbage in
 * the server and reports its RSS and heap per connection against the stage with none.
 *
 *   scripts/node24 node test/bench/idle-connections.bench.ts --stages 1000,5000,15000
 *   scripts/node24 node test/bench/idle-connections.bench.ts --stages 15000 --storm
 *   scripts/node24 node test/bench/idle-connections.bench.ts --stages 1000 --snapshot /tmp/idle
 *
 * `--storm` then drops every connection at once (each client process terminates all its sockets)
 * and times until all are connected again and resynced (SYNC_COMPLETE from the syncSeq each had),
 * and counts the database's transactions per reconnect (pg_stat_database.xact_commit + rollbacks of
 * the run's database, less the idle rate measured just before).
 * `--floor` then runs the same storm, from the same number of client processes, against a bare `ws`
 * server that answers CONNECT_ACK and SYNC_COMPLETE and does nothing else (the floor).
 * `--snapshot PREFIX` writes heap snapshots with none and with the first stage's connections
 * (PREFIX-0.heapsnapshot, PREFIX-N.heapsnapshot); heap-diff.ts compares two.
 * Everything listens and connects on 127.0.0.1 only.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import WebSocket from 'ws';
import { ACCESS_TOKEN_AUDIENCE } from '../../services/platform/security/index.ts';
import { ADMIN_URL, createBackend } from '../support/backends.ts';
import { CapturedOutput, PLATFORM_SERVING, stopProcess, track } from '../support/processes.ts';

const { values } = parseArgs({
  options: {
    stages: { type: 'string', default: '1000,5000,15000' },
    devices: { type: 'string', default: '10' },
    'per-client': { type: 'string', default: '4000' },
    settle: { type: 'string', default: '10' },
    /** Connections per service pool (nine pools); the machine's PostgreSQL may be shared. */
    pool: { type: 'string', default: '2' },
    snapshot: { type: 'string' },
    storm: { type: 'boolean', default: false },
    /** With --storm: the same storm against a bare `ws` server (idle-connections/floor-server.ts) after. */
    floor: { type: 'boolean', default: false },
    client: { type: 'boolean', default: false },
  },
});

const PASSWORD = 'idleBench123';
const HEARTBEAT_MS = 25_000;
/** Connects a client process has under way at once. */
const CONNECTS_IN_FLIGHT = 100;

/** The server's memoryUsage() and the physical size of each V8 heap space. */
type Memory = NodeJS.MemoryUsage & { spaces: Record<string, number> };
type FromClient = Connected | Resynced | { failed: string };
type ToClient = { add: string[] } | { storm: true };

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` over `items` with at most `width` under way. */
async function pool<T>(items: T[], width: number, work: (item: T, index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

// ---------------------------------------------------------------- client process

interface Socket {
  token: string;
  ws: WebSocket;
  syncSeq: number;
}

/** Opens one socket; resolves on CONNECT_ACK (or SYNC_COMPLETE when resyncing from `syncSeq`). */
function open(wsUrl: string, token: string, syncSeq?: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const query = `token=${encodeURIComponent(token)}${syncSeq === undefined ? '' : `&syncSeq=${syncSeq}`}`;
    const ws = new WebSocket(`${wsUrl}/ws?${query}`);
    const socket: Socket = { token, ws, syncSeq: 0 };
    ws.on('error', reject);
    ws.on('close', (code) => reject(new Error(`closed ${code} before it was ready`)));
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as {
        type: string;
        data?: { syncSeq?: number; message?: string };
      };
      if (frame.type === 'CONNECT_ERROR') reject(new Error(frame.data?.message ?? 'CONNECT_ERROR'));
      if (frame.type === 'CONNECT_ACK') {
        socket.syncSeq = frame.data?.syncSeq ?? 0;
        if (syncSeq === undefined) resolve(socket);
      }
      if (frame.type === 'SYNC_COMPLETE') {
        socket.syncSeq = frame.data?.syncSeq ?? socket.syncSeq;
        resolve(socket);
      }
    });
  });
}

/** As an app does: a connect refused for a server-side fault (CONNECT_ERROR 503) is tried again. */
async function openRetrying(wsUrl: string, token: string, syncSeq?: number): Promise<Socket> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await open(wsUrl, token, syncSeq);
    } catch (error) {
      if (attempt >= 10) throw error;
      retries++;
      await sleep(200 * attempt);
    }
  }
}

let retries = 0;

async function runClient(wsUrl: string) {
  const sockets: Socket[] = [];
  // Idle, as an app in the background is: one PING per heartbeat, spread over the interval.
  const beat = setInterval(() => {
    for (const { ws } of sockets) if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"PING"}');
  }, HEARTBEAT_MS);
  beat.unref();
  const send = (message: FromClient) => process.send!(message);
  process.on('message', async (message: ToClient) => {
    try {
      if ('add' in message) {
        await pool(message.add, CONNECTS_IN_FLIGHT, async (token) => {
          sockets.push(await openRetrying(wsUrl, token));
        });
        send({ connected: sockets.length, retries });
        return;
      }
      const dropped = sockets.splice(0);
      retries = 0;
      const started = performance.now();
      for (const { ws } of dropped) {
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
      }
      await pool(dropped, CONNECTS_IN_FLIGHT * 5, async ({ token, syncSeq }) => {
        sockets.push(await openRetrying(wsUrl, token, syncSeq));
      });
      send({ resynced: sockets.length, ms: performance.now() - started, retries });
    } catch (error) {
      send({ failed: String(error) });
    }
  });
}

// ---------------------------------------------------------------- coordinator

type Reply = { memory?: NodeJS.MemoryUsage; spaces?: Record<string, number> };

class MeasuredServer {
  #next = 0;
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  readonly child: ChildProcess;
  readonly url: string;

  private constructor(child: ChildProcess, url: string) {
    this.child = child;
    this.url = url;
    child.on('message', (reply: Reply & { id: number }) => {
      this.#waiting.get(reply.id)?.(reply);
      this.#waiting.delete(reply.id);
    });
  }

  static async start(env: Record<string, string>) {
    const child = track(
      fork('test/bench/idle-connections/measured-server.ts', [], {
        execArgv: [...process.execArgv, '--expose-gc'],
        env: {
          ...process.env,
          ...env,
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'error',
          RATE_LIMIT_FACTOR: '10000',
          AUTH_MULTI_DEVICE_POLICY: 'multi',
        },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      }),
    );
    const output = new CapturedOutput(child, process.stderr);
    const [, url] = await output.waitFor(PLATFORM_SERVING);
    return new MeasuredServer(child, url!);
  }

  #ask(command: object) {
    const id = this.#next++;
    return new Promise<Reply>((resolve) => {
      this.#waiting.set(id, resolve);
      this.child.send({ id, ...command });
    });
  }

  async memory(): Promise<Memory> {
    const reply = await this.#ask({ measure: true });
    return { ...reply.memory!, spaces: reply.spaces! };
  }

  async snapshot(path: string) {
    await this.#ask({ snapshot: path });
  }
}

async function call<T>(url: string, path: string, body: unknown): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const envelope = (await response.json()) as { code: number; data: T; message: string };
    if (envelope.code === 0) return envelope.data;
    if (response.status === 429 && attempt < 30) {
      await sleep(1000);
      continue;
    }
    throw new Error(`${path}: ${response.status} ${envelope.code} ${envelope.message}`);
  }
}

/**
 * `count` access tokens: users registered through the API, each on `devices` devices. Only the
 * registration goes through the API (one argon2id hash per user); the further devices' tokens are
 * signed here with the key the server was given (AUTH_SIGNING_KEY), as another auth replica would
 * sign them — a login per device would cost an argon2id verification each, minutes at 15,000.
 */
async function signIn(url: string, key: CryptoKey, kid: string, count: number, devices: number) {
  const prefix = `idle${Date.now().toString(36)}`;
  const users = Array.from({ length: Math.ceil(count / devices) }, (_, index) => `${prefix}u${index}`);
  const tokens: string[] = [];
  // argon2id runs on the server's threads: a few requests in flight keep both cores busy.
  await pool(users, 8, async (account) => {
    const { accessToken, userId } = await call<{ accessToken: string; userId: string }>(
      url,
      '/api/v1/auth/register',
      { account, password: PASSWORD, deviceType: 'Web', deviceId: `${account}-d0` },
    );
    tokens.push(accessToken);
    for (let device = 1; device < devices && tokens.length < count; device++)
      tokens.push(
        await new SignJWT({ sid: randomUUID(), did: `${account}-d${device}`, dty: 'Web' })
          .setSubject(userId)
          .setAudience(ACCESS_TOKEN_AUDIENCE)
          .setIssuer('anychat')
          .setIssuedAt()
          .setExpirationTime('2h')
          .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
          .sign(key),
      );
  });
  return tokens.slice(0, count);
}

/** Drops every client's sockets at once and waits until all are back and resynced. */
async function stormOf(clients: ChildProcess[]) {
  const started = performance.now();
  const results = await Promise.all(
    clients.map((client) => {
      const done = reply<Resynced>(client, 'resynced');
      client.send({ storm: true } satisfies ToClient);
      return done;
    }),
  );
  return {
    connections: results.reduce((sum, r) => sum + r.resynced, 0),
    allResyncedS: ((performance.now() - started) / 1000).toFixed(1),
    // Each client process's own time from its drop to its last SYNC_COMPLETE.
    perClientS: results.map((r) => (r.ms / 1000).toFixed(1)),
    retries: results.reduce((sum, r) => sum + r.retries, 0),
    load: load(),
  };
}

/** The floor: the same clients' storm against a bare ws server (floor-server.ts). */
async function floorStorm(tokens: string[], perClient: number) {
  const server = track(
    fork('test/bench/idle-connections/floor-server.ts', [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }),
  );
  const clients: ChildProcess[] = [];
  try {
    const [, url] = await new CapturedOutput(server, process.stderr).waitFor(PLATFORM_SERVING);
    const wsUrl = url!.replace(/^http/, 'ws');
    const connecting: Array<Promise<unknown>> = [];
    for (let from = 0; from < tokens.length; from += perClient) {
      const client = startClient(wsUrl);
      clients.push(client);
      connecting.push(reply<Connected>(client, 'connected'));
      client.send({ add: tokens.slice(from, from + perClient) } satisfies ToClient);
    }
    await Promise.all(connecting);
    return await stormOf(clients);
  } finally {
    await Promise.all(clients.map((client) => stopProcess(client)));
    await stopProcess(server);
  }
}

function startClient(wsUrl: string) {
  const child = track(
    fork(import.meta.filename, ['--client'], {
      env: { ...process.env, IDLE_BENCH_WS_URL: wsUrl },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  return child;
}

type Connected = { connected: number; retries: number };
type Resynced = { resynced: number; ms: number; retries: number };

/** The client's next message that has `key` (or its failure). */
function reply<T extends Connected | Resynced>(
  child: ChildProcess,
  key: 'connected' | 'resynced',
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (message: FromClient) => {
      child.off('message', listener);
      if ('failed' in message) reject(new Error(message.failed));
      else if (key in message) resolve(message as T);
    };
    child.on('message', listener);
  });
}

/** Transactions the database has committed and rolled back (its statistics lag up to PGSTAT_IDLE_INTERVAL, 10 s). */
async function transactions(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'select xact_commit + xact_rollback as n from pg_stat_database where datname = $1',
      [new URL(databaseUrl).pathname.slice(1)],
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** Long enough for every backend's statistics to reach pg_stat_database. */
const STATS_LAG_MS = 11_000;

/** RSS not in V8's heap spaces: what the process holds outside the JavaScript heap (sockets, malloc). */
const outsideHeap = (memory: Memory) =>
  memory.rss - Object.values(memory.spaces).reduce((sum, bytes) => sum + bytes, 0);

function perConnection(now: Memory, base: Memory, connections: number) {
  const kb = (bytes: number) => (bytes / connections / 1024).toFixed(2);
  const field = (name: 'rss' | 'heapTotal' | 'heapUsed' | 'external') => kb(now[name] - base[name]);
  const spacesMiB = Object.fromEntries(
    Object.entries(now.spaces).map(([name, bytes]) => [name, (bytes / 2 ** 20).toFixed(1)]),
  );
  return {
    rssKB: field('rss'),
    heapTotalKB: field('heapTotal'),
    heapUsedKB: field('heapUsed'),
    externalKB: field('external'),
    outsideHeapKB: kb(outsideHeap(now) - outsideHeap(base)),
    spacesMiB,
  };
}

async function runCoordinator() {
  const stages = values.stages.split(',').map(Number);
  const devices = Number(values.devices);
  const perClient = Number(values['per-client']);
  const settleMs = Number(values.settle) * 1000;
  const total = Math.max(...stages);
  const backend = await createBackend('postgresql');
  const kid = `idle-bench-${randomUUID()}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' });
  const server = await MeasuredServer.start({
    ...backend.env,
    DATABASE_POOL_MAX: values.pool,
    AUTH_SIGNING_KEY: signingKey,
    AUTH_ISSUER: 'anychat',
  });
  const wsUrl = server.url.replace(/^http/, 'ws');
  const clients: ChildProcess[] = [];
  try {
    let started = performance.now();
    const tokens = await signIn(server.url, privateKey, kid, total, devices);
    const signInS = (performance.now() - started) / 1000;
    console.error(
      `signed in ${tokens.length} devices of ${Math.ceil(total / devices)} users in ${signInS.toFixed(0)} s`,
    );
    await sleep(settleMs);
    const base = await server.memory();
    if (values.snapshot) await server.snapshot(`${values.snapshot}-0.heapsnapshot`);
    const rows: object[] = [
      {
        connections: 0,
        rssMiB: (base.rss / 2 ** 20).toFixed(1),
        heapMiB: (base.heapUsed / 2 ** 20).toFixed(1),
        load: load(),
      },
    ];
    console.error(JSON.stringify(rows[0]));
    let connected = 0;
    for (const stage of stages) {
      started = performance.now();
      const work: Array<Promise<unknown>> = [];
      while (connected < stage) {
        const index = Math.floor(connected / perClient);
        clients[index] ??= startClient(wsUrl);
        const take = Math.min(stage, (index + 1) * perClient) - connected;
        const client = clients[index]!;
        work.push(reply<Connected>(client, 'connected'));
        client.send({ add: tokens.slice(connected, connected + take) } satisfies ToClient);
        connected += take;
      }
      await Promise.all(work);
      const connectS = (performance.now() - started) / 1000;
      await sleep(settleMs);
      const memory = await server.memory();
      const row = {
        connections: stage,
        connectS: connectS.toFixed(1),
        rssMiB: (memory.rss / 2 ** 20).toFixed(1),
        heapMiB: (memory.heapUsed / 2 ** 20).toFixed(1),
        ...perConnection(memory, base, stage),
        load: load(),
      };
      rows.push(row);
      console.error(JSON.stringify(row));
      if (values.snapshot && stage === stages[0]) {
        await server.snapshot(`${values.snapshot}-${stage}.heapsnapshot`);
        console.error(`heap snapshots: ${values.snapshot}-{0,${stage}}.heapsnapshot`);
      }
    }
    let storm: object | undefined;
    let floor: object | undefined;
    if (values.storm) {
      const databaseUrl = backend.env.DATABASE_URL!;
      // The idle rate (heartbeats, reports, sweeps) over as long as the storm's count waits for.
      const idleFrom = await transactions(databaseUrl);
      const idleStart = performance.now();
      await sleep(STATS_LAG_MS);
      const before = await transactions(databaseUrl);
      const idlePerMs = (before - idleFrom) / (performance.now() - idleStart);
      const countStart = performance.now();
      const result = await stormOf(clients);
      await sleep(STATS_LAG_MS);
      const spent = (await transactions(databaseUrl)) - before - idlePerMs * (performance.now() - countStart);
      storm = {
        ...result,
        transactionsPerReconnect: (spent / result.connections).toFixed(2),
        idleTransactionsPerS: (idlePerMs * 1000).toFixed(1),
      };
      console.error(JSON.stringify({ storm }));
      if (values.floor) {
        await Promise.all(clients.splice(0).map((client) => stopProcess(client)));
        floor = await floorStorm(tokens.slice(0, total), perClient);
        console.error(JSON.stringify({ floor }));
      }
    }
    console.log(JSON.stringify({ signInS: Math.round(signInS), devices, rows, storm, floor }, null, 2));
  } finally {
    await Promise.all(clients.map((client) => stopProcess(client)));
    await stopProcess(server.child);
    await backend.dispose();
  }
}

if (values.client) await runClient(process.env.IDLE_BENCH_WS_URL!);
else await runCoordinator();
