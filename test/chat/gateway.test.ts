import { expect } from 'chai';
import type { Host } from '../../services/host.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, befriendAll, loginDevice, sleep, startExtraGateway } from '../support/chat.ts';
import { forEachBackend, startPlatform, type TestPlatform } from '../support/platform.ts';
import { type Frame, forEachEncoding, WsClient } from '../support/ws-client.ts';

forEachBackend(
  'gateway: presence, forced logout and limits',
  (platform) => {
    const api = () => platform().api;
    const url = () => platform().host.url;

    forEachEncoding(() => {
      it('announces USER_ONLINE and USER_OFFLINE to online friends, and shows presence in profiles and friend lists', async () => {
        const a = await registerUser(api());
        const b = await registerUser(api());
        await befriend(api(), a, b);
        const wsB = await WsClient.connect(url(), b.accessToken);
        try {
          const wsA = await WsClient.connect(url(), a.accessToken, { platform: 'iOS' });
          const online = await wsB.next((f) => f.type === 'USER_ONLINE');
          expect(online.data).to.include({ userId: a.userId, platform: 'iOS' });
          const friends = await api().ok<{ friends: Array<{ userId: string; online: boolean }> }>(
            'GET',
            '/api/v1/friends',
            {
              token: b.accessToken,
            },
          );
          expect(friends.friends.find((f) => f.userId === a.userId)?.online).to.equal(true);
          // A second device does not announce again; the last one leaving does.
          const pc = await loginDevice(api(), a, 'PC', 'pc-presence');
          const wsA2 = await WsClient.connect(url(), pc.accessToken);
          await wsA.close();
          await sleep(300);
          expect(wsB.frames.filter((f) => f.type === 'USER_OFFLINE')).to.have.length(0);
          await wsA2.close();
          const offline = await wsB.next((f) => f.type === 'USER_OFFLINE');
          expect(offline.data.userId).to.equal(a.userId);
          expect(wsB.frames.filter((f) => f.type === 'USER_ONLINE')).to.have.length(1);
          const after = await api().ok<{
            friends: Array<{ userId: string; online: boolean; lastActiveTime: unknown }>;
          }>('GET', '/api/v1/friends', { token: b.accessToken });
          const entry = after.friends.find((f) => f.userId === a.userId)!;
          expect(entry.online).to.equal(false);
          expect(entry.lastActiveTime).to.not.equal(null);
        } finally {
          await wsB.close();
        }
      });

      it('sends FORCE_LOGOUT to the device whose session ends, and only to it', async () => {
        const a = await registerUser(api());
        const web = await WsClient.connect(url(), a.accessToken);
        const pc = await loginDevice(api(), a, 'PC', 'pc-force');
        const wsPc = await WsClient.connect(url(), pc.accessToken);
        try {
          // Same device type logs in again (per-device-type policy): the older web session is replaced.
          const newer = await loginDevice(api(), a, 'Web', 'web-newer');
          const forced = await web.next((f) => f.type === 'FORCE_LOGOUT');
          expect(forced.data.reason).to.equal('multi_login');
          expect(await web.closed()).to.equal(4003);
          const stillThere = await WsClient.connect(url(), newer.accessToken);
          await sleep(200);
          expect(wsPc.frames.some((f) => f.type === 'FORCE_LOGOUT')).to.equal(false);
          // The revoked token cannot connect again.
          const retry = WsClient.open(url(), a.accessToken);
          await retry.next((f) => f.type === 'CONNECT_ERROR');
          await stillThere.close();
        } finally {
          await wsPc.close();
        }
      });

      it('rate-limits frames per connection with ERROR 9, recovers, and closes a client that keeps flooding', async () => {
        const a = await registerUser(api());
        const ws = await WsClient.connect(url(), a.accessToken);
        try {
          for (let i = 0; i < 150; i++) ws.send({ type: 'PING' });
          const limited = await ws.next(
            (f) => f.type === 'ERROR' && f.data.code === ErrorCode.TOO_MANY_REQUESTS,
          );
          expect(limited.data.message).to.match(/frames per second/);
          await sleep(1500);
          const mark = ws.frames.length;
          ws.send({ type: 'PING' });
          await ws.next((f) => f.type === 'PONG', 5000, mark);
          for (let i = 0; i < 1000; i++) ws.send({ type: 'PING' });
          expect(await ws.closed()).to.equal(4008);
        } finally {
          await ws.close();
        }
      });
    });
  },
  { GATEWAY_FRAMES_PER_SECOND: '50', RATE_LIMIT_FACTOR: '100' },
);

describe('gateway: heartbeats and slow clients [postgresql]', function () {
  this.timeout(60_000);
  let platform: TestPlatform | undefined;
  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', {
      GATEWAY_HEARTBEAT_SECONDS: '5',
      GATEWAY_MAX_BUFFERED_BYTES: String(64 * 1024),
      MESSAGE_MAX_TEXT_LENGTH: '20000',
    });
  });
  after(async () => platform?.stop());

  forEachEncoding(() => {
    it('closes a connection that stays silent for three heartbeat intervals, and keeps one that pings', async () => {
      const p = platform!;
      const a = await registerUser(p.api);
      const silent = await WsClient.connect(p.host.url, a.accessToken);
      const pc = await loginDevice(p.api, a, 'PC', 'pc-heartbeat');
      const pinging = await WsClient.connect(p.host.url, pc.accessToken);
      const timer = setInterval(() => pinging.send({ type: 'PING' }), 2000);
      try {
        const ack = silent.frames.find((f) => f.type === 'CONNECT_ACK')!;
        expect(ack.data.heartbeatInterval).to.equal(5);
        expect(await silent.closed()).to.equal(4000);
        expect(pinging.ws.readyState).to.equal(pinging.ws.OPEN);
      } finally {
        clearInterval(timer);
        await pinging.close();
      }
    });

    it('disconnects a client that stops reading instead of buffering without bound', async () => {
      const p = platform!;
      const a = await registerUser(p.api);
      const b = await registerUser(p.api);
      await befriend(p.api, a, b);
      const reader = await WsClient.connect(p.host.url, b.accessToken);
      // Stop reading from the socket: the server's send buffer grows.
      (reader.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const big = '消息'.repeat(9000);
      let closedAt = -1;
      for (let i = 0; i < 400 && closedAt < 0; i++) {
        await p.api.ok('POST', '/api/v1/messages', {
          token: a.accessToken,
          body: {
            clientMsgId: `slow-${i}`,
            sessionType: 'single',
            targetId: b.userId,
            contentType: 'text',
            content: big,
          },
        });
        if (i % 20 === 19) {
          await sleep(50);
          const presence = await p.api.ok<{ online?: boolean }>('GET', `/api/v1/users/${b.userId}`, {
            token: a.accessToken,
          });
          if (presence.online === false) closedAt = i;
        }
      }
      expect(closedAt, 'the slow reader was cut off').to.be.greaterThan(0);
      (reader.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    });
  });
});

describe('gateway: per-message compression [postgresql]', function () {
  this.timeout(60_000);
  let platform: TestPlatform | undefined;
  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', {
      GATEWAY_COMPRESSION: 'true',
      // Groups of 3 or more are read fan-out: their messages go out as frames prepared once for all members.
      MESSAGE_GROUP_READ_FANOUT_MIN_MEMBERS: '3',
    });
  });
  after(async () => platform?.stop());

  /** Bytes the client's TCP socket has read so far (compressed, as on the wire). */
  const wireBytes = (client: WsClient) =>
    (client.ws as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;

  forEachEncoding(() => {
    it('deflates frames over 1 KB for a client that offers it, and leaves smaller ones alone', async () => {
      const p = platform!;
      const a = await registerUser(p.api);
      const b = await registerUser(p.api);
      await befriend(p.api, a, b);
      const wsA = await WsClient.connect(p.host.url, a.accessToken);
      const wsB = await WsClient.connect(p.host.url, b.accessToken);
      try {
        expect(wsB.ws.extensions).to.include('permessage-deflate');
        const long = 'The quick brown fox jumps over the lazy dog. '.repeat(100);
        let [wire, frames] = [wireBytes(wsB), wsB.receivedBytes];
        await wsA.sendMessage(b.userId, long);
        const [big] = await wsB.waitForMessages(1);
        expect(big!.data.content).to.equal(long);
        expect(wsB.receivedBytes - frames).to.be.greaterThan(long.length);
        expect(wireBytes(wsB) - wire, 'a 4.5 KB message in far fewer bytes').to.be.lessThan(long.length / 4);
        [wire, frames] = [wireBytes(wsB), wsB.receivedBytes];
        await wsA.sendMessage(b.userId, 'short');
        await wsB.waitForMessages(2);
        expect(wireBytes(wsB) - wire, 'a frame under 1 KB as it is').to.be.greaterThan(
          wsB.receivedBytes - frames,
        );
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it("a big group's messages, prepared once, reach a deflating member compressed and another as they are, in order", async () => {
      const p = platform!;
      const [owner, b, c] = await Promise.all([0, 1, 2].map(() => registerUser(p.api)));
      await befriendAll(p.api, owner!, [b!, c!]);
      const { groupId } = await p.api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: owner!.accessToken,
        body: { name: 'prepared frames', memberIds: [b!.userId, c!.userId] },
      });
      const wsA = await WsClient.connect(p.host.url, owner!.accessToken);
      const wsB = await WsClient.connect(p.host.url, b!.accessToken);
      const wsC = await WsClient.connect(p.host.url, c!.accessToken, { compression: false });
      try {
        expect(wsB.ws.extensions).to.include('permessage-deflate');
        expect(wsC.ws.extensions).to.equal('');
        const long = (n: number) => `${n} The quick brown fox jumps over the lazy dog. `.repeat(100);
        const texts = [long(1), 'short 2', long(3), 'short 4'];
        const before = [wireBytes(wsB), wireBytes(wsC)] as const;
        for (const text of texts) {
          const msgId = `pf${texts.indexOf(text)}${Date.now().toString(36)}`;
          wsA.send({
            type: 'SEND_MESSAGE',
            msgId,
            data: { sessionType: 'group', targetId: groupId, contentType: 'text', content: text },
          });
        }
        const inGroup = (f: Frame) => f.data.sessionId === `g_${groupId}`;
        for (const ws of [wsB, wsC]) {
          const got = await ws.waitForMessages(texts.length, inGroup);
          expect(got.map((f) => f.data.content)).to.deep.equal(texts);
          expect(got.map((f) => f.data.seq)).to.deep.equal(
            [...got.map((f) => f.data.seq)].sort((x, y) => x - y),
          );
        }
        const payload = texts.join('').length;
        expect(wireBytes(wsB) - before[0], 'the long ones deflated').to.be.lessThan(payload / 2);
        expect(wireBytes(wsC) - before[1], 'every byte as it is').to.be.greaterThan(payload);
      } finally {
        await Promise.all([wsA.close(), wsB.close(), wsC.close()]);
      }
    });
  });
});

describe('two gateway instances [postgresql]', function () {
  this.timeout(60_000);
  let platform: TestPlatform | undefined;
  let second: Host | undefined;
  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql');
    second = await startExtraGateway(platform);
  });
  after(async () => {
    await second?.stop();
    await platform?.stop();
  });

  forEachEncoding(() => {
    it('lets users on different gateways chat; each message goes only to the instance holding the device', async () => {
      const p = platform!;
      const a = await registerUser(p.api);
      const b = await registerUser(p.api);
      await befriend(p.api, a, b);
      const wsA = await WsClient.connect(p.host.url, a.accessToken);
      const wsB = await WsClient.connect(second!.url, b.accessToken);
      try {
        const ack = await wsA.sendMessage(b.userId, 'across gateways');
        const [got] = await wsB.waitForMessages(1);
        expect(got!.data.messageId).to.equal(ack.data.messageId);
        const reply = await wsB.sendMessage(a.userId, 'back');
        const [back] = await wsA.waitForMessages(1);
        expect(back!.data.messageId).to.equal(reply.data.messageId);
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it('loses, duplicates and reorders nothing when a gateway stops mid-conversation and its clients move to the other', async () => {
      const p = platform!;
      const a = await registerUser(p.api);
      const b = await registerUser(p.api);
      await befriend(p.api, a, b);
      const third = await startExtraGateway(p);
      const wsA = await WsClient.connect(p.host.url, a.accessToken);
      let wsB = await WsClient.connect(third.url, b.accessToken);
      // Every NEW_MESSAGE b's device got, over the first socket and then the second.
      const sockets = [wsB];
      const received = () => sockets.flatMap((ws) => ws.messages().map((frame) => frame.data.content));
      try {
        const sending = (async () => {
          for (let i = 0; i < 60; i++) {
            const ack = await wsA.sendMessage(b.userId, `n${i}`);
            expect(ack.type).to.equal('SEND_ACK');
            await sleep(10);
          }
        })();
        await sleep(150);
        const stopping = third.stop();
        // The draining gateway asks the client to come back after a random delay, then closes 1001.
        const reconnect = await wsB.next((f) => f.type === 'RECONNECT');
        expect(reconnect.data.reason).to.equal('server_draining');
        expect(reconnect.data.reconnectAfterMs).to.be.within(0, 5000);
        expect(await wsB.closed()).to.equal(1001);
        const lastSyncSeq = wsB.syncSeq;
        wsB = await WsClient.connect(p.host.url, b.accessToken, { syncSeq: lastSyncSeq });
        sockets.push(wsB);
        await sending;
        await stopping;
        const deadline = Date.now() + 10_000;
        while (received().length < 60 && Date.now() < deadline) await sleep(50);
        await sleep(300);
        expect(received()).to.deep.equal(Array.from({ length: 60 }, (_, i) => `n${i}`));
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });
  });
});
