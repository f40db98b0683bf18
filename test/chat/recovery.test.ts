/** What a lost event or a crash between commit and publish must not cost: the platform recovers on its own. */
import { expect } from 'chai';
import pg from 'pg';
import { MessageTopics, singleSessionId } from '../../services/platform/contracts/index.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, sleep } from '../support/chat.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { forEachEncoding, WsClient } from '../support/ws-client.ts';

describe('message events survive a crash between commit and publish [postgresql]', function () {
  this.timeout(60_000);
  let platform: TestPlatform | undefined;
  let db: pg.Client;
  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql');
    db = new pg.Client({ connectionString: platform.backend.env.DATABASE_URL });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await platform?.stop();
  });

  forEachEncoding(() => {
    it('publishes and clears the outbox row of every send', async () => {
      const p = platform!;
      const a = await registerUser(p.api);
      const b = await registerUser(p.api);
      await befriend(p.api, a, b);
      const ws = await WsClient.connect(p.host.url, a.accessToken);
      for (let i = 0; i < 5; i++) await ws.sendMessage(b.userId, `m${i}`);
      await ws.close();
      await p.host.settled();
      await sleep(300);
      const { rows } = await db.query('select count(*)::int as n from message.outbox');
      expect(rows[0].n).to.equal(0);
    });

    it('publishes an event left in the outbox (the process died after commit) on the next sweep', async () => {
      const p = platform!;
      const a = await registerUser(p.api);
      const b = await registerUser(p.api);
      const sessionId = singleSessionId(a.userId, b.userId);
      // What a send that committed but never published leaves behind.
      const event = {
        messageId: '7000000000000000001',
        sessionId,
        sessionType: 'single',
        senderId: a.userId,
        targetId: b.userId,
        participants: [a.userId, b.userId],
        seq: 1,
        contentType: 'text',
        preview: 'left behind',
        mentions: [],
        mentionAll: false,
        createdAt: new Date().toISOString(),
      };
      await db.query(
        `insert into message.outbox (id, topic, payload, created_at) values ($1, $2, $3, now() - interval '1 minute')`,
        ['7000000000000000002', MessageTopics.created, event],
      );
      const deadline = Date.now() + 15_000;
      let unread = 0;
      while (Date.now() < deadline && unread === 0) {
        await sleep(500);
        const list = await p.api.ok<{ sessions: Array<{ sessionId: string; unreadCount: number }> }>(
          'GET',
          '/api/v1/sessions',
          { token: b.accessToken },
        );
        unread = list.sessions.find((s) => s.sessionId === sessionId)?.unreadCount ?? 0;
      }
      expect(unread).to.equal(1);
      const { rows } = await db.query('select count(*)::int as n from message.outbox');
      expect(rows[0].n).to.equal(0);
    });
  });
});

describe('a revoked session whose FORCE_LOGOUT event was lost [postgresql]', function () {
  this.timeout(60_000);
  let platform: TestPlatform | undefined;
  let db: pg.Client;
  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', { GATEWAY_REVALIDATE_SECONDS: '2' });
    db = new pg.Client({ connectionString: platform.backend.env.DATABASE_URL });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await platform?.stop();
  });

  forEachEncoding(() => {
    it("is signed out by the gateway's periodic check of open sockets", async () => {
      const user = await registerUser(platform!.api);
      const ws = await WsClient.connect(platform!.host.url, user.accessToken);
      const sessionId = JSON.parse(Buffer.from(user.accessToken.split('.')[1]!, 'base64url').toString()).sid;
      // The revocation as auth records it, with no auth.session.revoked event published.
      await db.query(
        `insert into platform.state_entries (store, key, value, etag) values ('sharedstate', $1, '{"revoked": true}', 1)`,
        [`auth:revoked-session:${sessionId}`],
      );
      const forced = await ws.next((f) => f.type === 'FORCE_LOGOUT', 10_000);
      expect(forced.data.reason).to.equal('session_revoked');
      expect(await ws.closed()).to.equal(4003);
    });
  });
});
