/**
 * Broadcast fan-out: `node test/bench/broadcast.bench.ts [accounts] [sockets]`.
 * Starts the embedded platform on the machine's PostgreSQL, seeds `accounts` accounts straight into
 * the auth tables (registration would spend the run hashing passwords), connects `sockets` real
 * users over WebSocket, sends one announcement through the admin API and measures how long the
 * connected users wait for it and how long until every account's timeline holds it.
 * Results go to BENCHMARKS.md by hand, with the machine they ran on.
 */
import pg from 'pg';
import { createAdminAccount } from '../../services/admin/index.ts';
import { registerUser } from '../support/api-client.ts';
import { startPlatform } from '../support/platform.ts';
import { type Frame, WsClient } from '../support/ws-client.ts';

const ACCOUNTS = Number(process.argv[2] ?? 20_000);
const SOCKETS = Number(process.argv[3] ?? 200);
const PASSWORD = 'correct horse battery';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const platform = await startPlatform('postgresql', { LOG_LEVEL: 'warn' });
const sockets: WsClient[] = [];
try {
  const databaseUrl = platform.backend.env.DATABASE_URL!;
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(
    `insert into auth.users (user_id, account, password_hash, status, password_changed_at, created_at, updated_at)
     select 9000000000000 + n, 'seed' || n, 'not-a-hash', 1, now(), now(), now() from generate_series(1, $1) n`,
    [ACCOUNTS],
  );

  const users = [];
  for (let i = 0; i < SOCKETS; i++) users.push(await registerUser(platform.api));
  for (const user of users) sockets.push(await WsClient.connect(platform.host.url, user.accessToken));

  await createAdminAccount(databaseUrl, { username: 'bench', password: PASSWORD, role: 'superadmin' });
  const { token } = await platform.api.ok<{ token: string }>('POST', '/api/v1/admin/auth/login', {
    body: { username: 'bench', password: PASSWORD },
  });

  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const isNotice = (f: Frame) => f.type === 'NOTIFICATION' && f.data.kind === 'admin.announcement';
  const arrivals = sockets.map((ws) => ws.next(isNotice, 600_000).then(() => performance.now() - started));
  const broadcast = await platform.api.ok<{ broadcastId: string }>('POST', '/api/v1/admin/broadcasts', {
    token,
    body: { text: 'benchmark announcement' },
  });
  const latencies = (await Promise.all(arrivals)).sort((a, b) => a - b);
  let status = 'sending';
  let recipients = 0;
  while (status !== 'done') {
    await new Promise((resolve) => setTimeout(resolve, 100));
    ({ status, recipients } = await platform.api.ok<{ status: string; recipients: number }>(
      'GET',
      `/api/v1/admin/broadcasts/${broadcast.broadcastId}`,
      { token },
    ));
  }
  await platform.host.settled();
  const finished = performance.now() - started;
  const { rows } = await db.query(`select count(*)::int as n from message.timeline where event_id = $1`, [
    `admin.broadcast:${broadcast.broadcastId}`,
  ]);
  await db.end();
  console.log(
    JSON.stringify(
      {
        accounts: ACCOUNTS + SOCKETS,
        recipients,
        timelineRows: rows[0].n,
        connected: SOCKETS,
        connectedP50Ms: Math.round(percentile(latencies, 50)),
        connectedP99Ms: Math.round(percentile(latencies, 99)),
        connectedMaxMs: Math.round(latencies.at(-1)!),
        allAccountsMs: Math.round(finished),
        accountsPerSecond: Math.round(recipients / (finished / 1000)),
        rssGrowthMiB: Math.round((process.memoryUsage().rss - rssBefore) / 1048576),
      },
      null,
      2,
    ),
  );
} finally {
  await Promise.all(sockets.map((ws) => ws.close()));
  await platform.stop();
}
