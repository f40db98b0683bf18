import { expect } from 'chai';
import { registerUser, type SignedIn } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { type Frame, WsClient } from '../support/ws-client.ts';
import { claimedFor, type PushWorld, sendText, startPushWorld, subscribeWebPush } from './support.ts';

/** Long enough for a send to land inside it on a loaded machine, short enough for the suite. */
const GRACE_MS = 1500;

/**
 * Offline push of what a device missed in its offline grace: the gateway keeps a device whose
 * socket dropped in the presence registry for GATEWAY_OFFLINE_GRACE_MS (a reconnect storm writes
 * nothing), so the ordinary push path leaves it out of the messages of that window. When the
 * device does not come back, the gateway publishes `gateway.device.left` with the position the
 * device acknowledged, and the push service pushes it what followed, under the ordinary path's
 * event ids. Embedded platform on the machine's PostgreSQL, real WebSocket clients, pushes
 * received (decrypted) by a loopback Web Push service.
 */
describe('push: messages of the offline grace', function () {
  this.timeout(60_000);
  let world: PushWorld;
  /** Every `gateway.device.left` the broker carried, as published. */
  const left: Array<Record<string, unknown>> = [];
  const leftOf = (userId: string) => left.filter((event) => event.userId === userId);

  before(async function () {
    await requirePostgres(this);
    world = await startPushWorld({ GATEWAY_OFFLINE_GRACE_MS: String(GRACE_MS) });
    world.platform.bus.subscribe('probe-device-left', {
      pubsubName: world.platform.pubsubName,
      topic: 'gateway.device.left',
      async handle(cloudEvent) {
        left.push(cloudEvent.data as Record<string, unknown>);
        return 'SUCCESS';
      },
    });
  });
  after(async () => {
    await world?.stop();
  });

  /** Alice (watching presence over her own socket) and Bob, friends; Bob's device registered for Web Push. */
  async function pair(name: string) {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const bob = await registerUser(api, { nickname: 'Bob' });
    await befriend(api, bob, alice);
    const device = `${name}-${bob.userId}`;
    await subscribeWebPush(world, bob, device, { language: 'en' });
    const watcher = await WsClient.connect(world.platform.host.url, alice.accessToken);
    return { api, alice, bob, device, watcher };
  }

  const offline = (user: SignedIn) => (frame: Frame) =>
    frame.type === 'USER_OFFLINE' && frame.data?.userId === user.userId;

  it('pushes a message of the grace once to a device that never came back', async () => {
    const { api, alice, bob, device, watcher } = await pair('gone');
    try {
      const phone = await WsClient.connect(world.platform.host.url, bob.accessToken);
      await phone.close();
      const sent = await sendText(
        api,
        alice,
        { sessionType: 'single', targetId: bob.userId },
        'are you there?',
      );
      // Sent while Bob's device was still in the registry: his going offline was not announced yet.
      expect(watcher.frames.some(offline(bob)), 'the send fell inside the grace').to.equal(false);

      const push = await world.endpoint.nth(device, 1);
      expect(push.payload).to.deep.include({ title: 'Alice', body: 'are you there?' });
      expect(push.payload.data).to.deep.include({ type: 'message', messageId: sent.messageId });
      await watcher.next(offline(bob));
      await eventually('the device-left event', async () => leftOf(bob.userId).length === 1);
      expect(await claimedFor(world, bob.userId)).to.deep.equal([`message:${sent.messageId}`]);

      // The event delivered again (a broker's redelivery) pushes nothing more.
      await world.platform.bus.publish('gateway', world.platform.pubsubName, 'gateway.device.left', {
        ...leftOf(bob.userId)[0],
      });
      expect(await claimedFor(world, bob.userId)).to.deep.equal([`message:${sent.messageId}`]);
      expect(world.endpoint.pushesFor(device)).to.have.length(1);
    } finally {
      await watcher.close();
    }
  });

  it('pushes nothing to a device back within the grace: it gets the message over its socket', async () => {
    const { api, alice, bob, device, watcher } = await pair('back');
    try {
      const phone = await WsClient.connect(world.platform.host.url, bob.accessToken);
      await phone.close();
      const sent = await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'still here?');
      const back = await WsClient.connect(world.platform.host.url, bob.accessToken, {
        syncSeq: phone.syncSeq,
      });
      const replayed = await back.next(
        (frame) => frame.type === 'NEW_MESSAGE' && frame.data?.messageId === sent.messageId,
      );
      expect(watcher.frames.some(offline(bob)), 'the device came back inside the grace').to.equal(false);
      expect(leftOf(bob.userId)).to.deep.equal([]);

      // Now it leaves for good, having acknowledged the message: one event, from that position.
      await back.close();
      await watcher.next(offline(bob), 20_000);
      await eventually('the device-left event', async () => leftOf(bob.userId).length === 1);
      expect(leftOf(bob.userId)[0]).to.include({ deviceId: `web-${bob.account}` });
      expect(Number(leftOf(bob.userId)[0]!.afterSyncSeq)).to.equal(replayed.data.syncSeq);
      expect(await claimedFor(world, bob.userId)).to.deep.equal([]);
      expect(world.endpoint.pushesFor(device)).to.have.length(0);
    } finally {
      await watcher.close();
    }
  });

  it('pushes a message the device received but never acknowledged before its socket died', async () => {
    const { api, alice, bob, device, watcher } = await pair('unacked');
    try {
      const phone = await WsClient.connect(world.platform.host.url, bob.accessToken, { autoAck: false });
      const sent = await sendText(
        api,
        alice,
        { sessionType: 'single', targetId: bob.userId },
        'did it arrive?',
      );
      const frame = await phone.next((f) => f.type === 'NEW_MESSAGE' && f.data?.messageId === sent.messageId);
      await phone.close();

      const push = await world.endpoint.nth(device, 1);
      expect(push.payload.data).to.deep.include({ messageId: sent.messageId });
      await eventually('the device-left event', async () => leftOf(bob.userId).length === 1);
      expect(Number(leftOf(bob.userId)[0]!.afterSyncSeq)).to.equal(frame.data.syncSeq - 1);
      expect(await claimedFor(world, bob.userId)).to.deep.equal([`message:${sent.messageId}`]);
    } finally {
      await watcher.close();
    }
  });

  it('does not push again a message pushed by the ordinary path', async () => {
    const { api, alice, bob, device, watcher } = await pair('pushed');
    try {
      const phone = await WsClient.connect(world.platform.host.url, bob.accessToken);
      await phone.close();
      await watcher.next(offline(bob), 20_000);
      await eventually('the device-left event', async () => leftOf(bob.userId).length === 1);

      const sent = await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'offline now');
      await world.endpoint.nth(device, 1);
      // A device-left covering that message (a late one: another instance's, a redelivery).
      await world.platform.bus.publish('gateway', world.platform.pubsubName, 'gateway.device.left', {
        ...leftOf(bob.userId)[0],
        leftAt: new Date().toISOString(),
      });
      expect(await claimedFor(world, bob.userId)).to.deep.equal([`message:${sent.messageId}`]);
      expect(world.endpoint.pushesFor(device)).to.have.length(1);
    } finally {
      await watcher.close();
    }
  });
});
