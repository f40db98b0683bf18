import { expect } from 'chai';
import { webPushTopic } from '../../services/push/providers/index.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { WsClient } from '../support/ws-client.ts';
import {
  captureMessageEvent,
  claimedFor,
  type PushWorld,
  sendText,
  startPushWorld,
  subscribeWebPush,
} from './support.ts';

/**
 * Web Push end to end with real encryption: the platform pushes to a push service of the test's
 * own on loopback (RFC 8030), which decrypts each request with the subscription's private key
 * (RFC 8291) and verifies its VAPID token (RFC 8292). The machine's PostgreSQL only: the test
 * reads the push service's records (claims, logs) to prove what was not pushed.
 */
describe('push: Web Push end to end', function () {
  this.timeout(60_000);
  let world: PushWorld;

  before(async function () {
    await requirePostgres(this);
    world = await startPushWorld();
  });
  after(async () => {
    await world?.stop();
  });

  it('pushes a message to a device that is not connected: encrypted, VAPID-signed, with TTL, Urgency and Topic', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const bob = await registerUser(api, { nickname: 'Bob' });
    await befriend(api, bob, alice);
    await subscribeWebPush(world, bob, 'bob-browser', { language: 'en' });

    const sent = await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'hello there');
    const push = await world.endpoint.nth('bob-browser', 1);

    expect(push.device).to.equal('bob-browser');
    expect(push.payload).to.deep.include({ title: 'Alice', body: 'hello there', tag: sent.sessionId });
    expect(push.payload.badge).to.equal(1);
    expect(push.payload.data).to.deep.include({
      type: 'message',
      sessionId: sent.sessionId,
      messageId: sent.messageId,
      seq: String(sent.seq),
    });
    expect(push.ttl).to.equal(3600);
    expect(push.urgency).to.equal('normal');
    expect(push.topic).to.equal(webPushTopic(sent.sessionId));
    expect(push.vapid.aud).to.equal(world.endpoint.origin);
    expect(push.vapid.sub).to.equal('mailto:ops@anychat.test');
    const now = Date.now() / 1000;
    expect(push.vapid.exp)
      .to.be.greaterThan(now)
      .and.at.most(now + 24 * 3600);
    // The key pair generated for the embedded shape is kept: what browsers subscribed with stays valid.
    const { rows } = await world.db.query(
      `select "public_key" from "push"."push_keys" where "name" = 'vapid'`,
    );
    expect(rows[0]?.public_key).to.equal(push.vapid.publicKey);
    // The attempt is logged once the push service answered.
    const logs = await eventually('the attempt is logged', async () => {
      const { rows } = await world.db.query(
        `select "status", "push_type", "attempt" from "push"."push_logs" where "user_id" = $1`,
        [bob.userId],
      );
      return rows.length > 0 && rows;
    });
    expect(logs).to.deep.equal([{ status: 'success', push_type: 'message', attempt: 1 }]);
  });

  it('pushes nothing to a connected device, and to the offline members of a group', async () => {
    const api = world.platform.api;
    const owner = await registerUser(api, { nickname: 'Olga' });
    const online = await registerUser(api);
    const offline = await registerUser(api);
    await befriend(api, owner, online);
    await befriend(api, owner, offline);
    await subscribeWebPush(world, online, `online-${online.userId}`);
    await subscribeWebPush(world, offline, `offline-${offline.userId}`);
    const ws = await WsClient.connect(world.platform.host.url, online.accessToken);
    try {
      const { groupId } = await api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: owner.accessToken,
        body: { name: 'Weekend', memberIds: [online.userId, offline.userId] },
      });
      const sent = await sendText(api, owner, { sessionType: 'group', targetId: groupId }, 'see you at 8');
      const push = await world.endpoint.nth(`offline-${offline.userId}`, 1);
      expect(push.payload).to.deep.include({ title: 'Weekend', body: 'Olga: see you at 8' });
      expect(await claimedFor(world, offline.userId)).to.include(`message:${sent.messageId}`);
      expect(await claimedFor(world, online.userId)).to.deep.equal([]);
      expect(world.endpoint.pushesFor(`online-${online.userId}`)).to.have.length(0);
    } finally {
      await ws.close();
    }
  });

  it('pushes a message once when its event is delivered twice', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alicia' });
    const bob = await registerUser(api);
    await befriend(api, bob, alice);
    await subscribeWebPush(world, bob, `twice-${bob.userId}`);
    const captured = captureMessageEvent(world, bob.userId);
    await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'only once');
    const event = await captured;
    await world.endpoint.nth(`twice-${bob.userId}`, 1);
    // The same message published again, as an outbox does after a crash between publish and sweep.
    await world.platform.bus.publish('message', world.platform.pubsubName, 'message.created', event);
    await world.platform.host.settled();
    expect(await claimedFor(world, bob.userId)).to.deep.equal([`message:${event.messageId}`]);
    expect(world.endpoint.pushesFor(`twice-${bob.userId}`)).to.have.length(1);
  });
});
