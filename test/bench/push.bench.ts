/**
 * Offline push fan-out: `node test/bench/push.bench.ts [members] [online] [messages]` (defaults
 * 500, 50, 20). Starts the embedded platform on the machine's PostgreSQL and a Web Push service of
 * its own on loopback (test/support/web-push-endpoint.ts, which decrypts every push as a browser
 * would, on the same cores). Each member has one Web Push subscription, registered the way the
 * user service announces it (`user.push-token.changed`); `online` of them are connected (in the
 * presence registry). Then `messages` group messages are published as the message service does
 * (`message.created`, all members participants), back to back, and the run reports how long until
 * the push service delivered a push per message to every offline member: pushes/s end to end
 * (policy checks, session and user calls, encryption, VAPID, HTTP). Results go to BENCHMARKS.md by
 * hand, with the machine they ran on.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { PresenceRegistry } from '../../services/platform/presence/index.ts';
import { startPlatform } from '../support/platform.ts';
import { selfSignedCertificate } from '../support/tls.ts';
import { WebPushEndpoint } from '../support/web-push-endpoint.ts';

const MEMBERS = Number(process.argv[2] ?? 500);
const ONLINE = Number(process.argv[3] ?? 50);
const MESSAGES = Number(process.argv[4] ?? 20);
const FIRST_ID = 9_100_000_000_000n;
const GROUP_ID = '9099999999999';

const certificate = selfSignedCertificate();
const endpoint = await WebPushEndpoint.start(certificate);
const platform = await startPlatform('postgresql', { LOG_LEVEL: 'warn', PUSH_CA_FILE: certificate.certFile });
const db = new pg.Client({ connectionString: platform.backend.env.DATABASE_URL });
await db.connect();
try {
  const members = Array.from({ length: MEMBERS }, (_, i) => (FIRST_ID + BigInt(i)).toString());
  const sender = members[0]!;
  for (const userId of members) {
    await platform.bus.publish('user', platform.pubsubName, 'user.push-token.changed', {
      userId,
      deviceId: `web-${userId}`,
      removed: false,
      pushToken: endpoint.subscribe(`m${userId}`),
      platform: 'Web',
      provider: 'webpush',
      language: 'en',
      version: String(Date.now()),
    });
  }
  await platform.host.settled();
  const { rows } = await db.query('select count(*)::int as n from "push"."push_registrations"');
  if (rows[0].n !== MEMBERS) throw new Error(`${rows[0].n} registrations, expected ${MEMBERS}`);

  const presence = new PresenceRegistry(platform.host.sharedState, { entryTtlSeconds: 600 });
  for (const userId of members.slice(1, 1 + ONLINE))
    await presence.connect(userId, 'bench-gateway', { deviceId: `web-${userId}`, platform: 'Web' });
  const offline = MEMBERS - 1 - ONLINE;
  const expected = offline * MESSAGES;
  console.error(
    `${MEMBERS} members, ${ONLINE} online, ${offline} offline; ${MESSAGES} messages -> ${expected} pushes`,
  );

  const started = performance.now();
  for (let seq = 1; seq <= MESSAGES; seq++) {
    await platform.bus.publish('message', platform.pubsubName, 'message.created', {
      messageId: String(9_200_000_000_000n + BigInt(seq)),
      sessionId: `g_${GROUP_ID}`,
      sessionType: 'group',
      senderId: sender,
      targetId: GROUP_ID,
      participants: members,
      seq: String(seq),
      contentType: 'text',
      preview: `message ${seq}`,
      mentions: [],
      mentionAll: false,
      createdAt: new Date().toISOString(),
    });
  }
  const firstAt = await endpoint
    .until('the first push', () => endpoint.received.length > 0, 120_000)
    .then(() => performance.now());
  await endpoint.waitFor(expected, 600_000);
  const elapsed = (performance.now() - started) / 1000;
  const online = new Set(members.slice(0, 1 + ONLINE).map((id) => `m${id}`));
  const wrong = endpoint.received.filter((push) => online.has(push.device)).length;
  console.log(
    JSON.stringify({
      members: MEMBERS,
      online: ONLINE,
      messages: MESSAGES,
      pushes: endpoint.received.length,
      pushedToConnected: wrong,
      seconds: Number(elapsed.toFixed(2)),
      pushesPerSecond: Math.round(endpoint.received.length / elapsed),
      firstPushMs: Math.round(firstAt - started),
    }),
  );
} finally {
  await db.end();
  await platform.stop();
  await endpoint.close();
  certificate.dispose();
}
