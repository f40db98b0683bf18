import { expect } from 'chai';
import { PresenceRegistry } from '../../services/platform/presence/index.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend, loginDevice, sleep } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { type Frame, WsClient } from '../support/ws-client.ts';

const DEVICES = 4;
/** The platform's default GATEWAY_OFFLINE_GRACE_MS. */
const GRACE_MS = 2000;

const texts = (frames: Frame[]) => frames.map((f) => f.data.content);
const presenceOf = (frames: Frame[], userId: string) =>
  frames.filter((f) => (f.type === 'USER_ONLINE' || f.type === 'USER_OFFLINE') && f.data.userId === userId);

/**
 * A user's devices all dropped at once (a network switch, a gateway's host losing its link) and
 * back within the offline grace: each resyncs what it missed exactly once and in order, the
 * presence registry is not written and friends see no USER_OFFLINE/USER_ONLINE; a device that
 * does not come back is taken out after the grace.
 */
forEachBackend(
  'reconnect storm: devices dropped at once and back within the offline grace',
  (platform) => {
    it('replays what each device missed once, in order, without touching presence; offline once gone for good', async function () {
      this.timeout(90_000);
      const { api, host } = platform();
      const a = await registerUser(api);
      const b = await registerUser(api);
      await befriend(api, a, b);
      const tokens = [a.accessToken];
      for (let i = 1; i < DEVICES; i++)
        tokens.push((await loginDevice(api, a, 'PC', `storm-${i}`)).accessToken);
      const watcher = await WsClient.connect(host.url, b.accessToken);
      const sockets = await Promise.all(tokens.map((token) => WsClient.connect(host.url, token)));
      let back: WsClient[] = [];
      try {
        await watcher.next((f) => f.type === 'USER_ONLINE' && f.data.userId === a.userId);
        expect((await watcher.sendMessage(a.userId, 'before')).type).to.equal('SEND_ACK');
        await Promise.all(sockets.map((s) => s.waitForMessages(1)));
        const positions = sockets.map((s) => s.syncSeq);
        const presenceKey = `presence:${a.userId}`;
        const written = (await host.sharedState.get(presenceKey))!.etag;
        const mark = watcher.frames.length;

        for (const s of sockets) s.ws.terminate();
        await Promise.all(sockets.map((s) => s.closed()));
        const missed = ['away 1', 'away 2', 'away 3'];
        for (const text of missed)
          expect((await watcher.sendMessage(a.userId, text)).type).to.equal('SEND_ACK');
        back = await Promise.all(
          tokens.map((token, i) => WsClient.connect(host.url, token, { syncSeq: positions[i]! })),
        );
        for (const s of back) expect(texts(s.messages())).to.deep.equal(missed);
        // Nothing comes later either (a late live push of a replayed message would show twice).
        await sleep(GRACE_MS + 500);
        for (const s of back) expect(texts(s.messages())).to.deep.equal(missed);
        expect((await host.sharedState.get(presenceKey))!.etag, 'presence not written').to.equal(written);
        expect(presenceOf(watcher.frames.slice(mark), a.userId), 'no presence churn').to.deep.equal([]);

        // Gone for good: after the grace the devices leave and the user goes offline, once.
        await Promise.all(back.map((s) => s.close()));
        await watcher.next((f) => f.type === 'USER_OFFLINE' && f.data.userId === a.userId, 10_000, mark);
        await sleep(300);
        expect(presenceOf(watcher.frames.slice(mark), a.userId).map((f) => f.type)).to.deep.equal([
          'USER_OFFLINE',
        ]);
        const registry = new PresenceRegistry(host.sharedState, { entryTtlSeconds: 90 });
        expect((await registry.lookup([a.userId])).get(a.userId)!.online).to.equal(false);
      } finally {
        await Promise.all([...sockets, ...back, watcher].map((s) => s.close()));
      }
    });
  },
  // Several devices of one type signed in at once.
  { AUTH_MULTI_DEVICE_POLICY: 'multi' },
);
