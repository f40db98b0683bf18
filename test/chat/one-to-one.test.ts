import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend, friendsOnline, loginDevice, sleep } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId, type Frame, forEachEncoding, WsClient } from '../support/ws-client.ts';

const texts = (frames: Frame[]) => frames.map((f) => f.data.content);

forEachBackend('one-to-one chat over WebSocket', (platform) => {
  const api = () => platform().api;
  const url = () => platform().host.url;

  forEachEncoding((encoding) => {
    it('sends, acknowledges with seq and syncSeq, and pushes to the recipient and my other devices', async () => {
      const { a, b, wsA, wsB } = await friendsOnline(platform());
      const other = await loginDevice(api(), a, 'PC', 'pc-a');
      const wsA2 = await WsClient.connect(url(), other.accessToken);
      try {
        const ack = await wsA.sendMessage(b.userId, 'hello 你好');
        expect(ack.type).to.equal('SEND_ACK');
        expect(ack.data).to.include({ seq: 1 });
        expect(ack.data.sessionId).to.match(/^s_\d+_\d+$/);
        expect(ack.data.syncSeq).to.be.a('number');
        const [received] = await wsB.waitForMessages(1);
        expect(received!.data).to.include({
          messageId: ack.data.messageId,
          sessionId: ack.data.sessionId,
          senderId: a.userId,
          contentType: 'text',
          content: 'hello 你好',
          seq: 1,
        });
        expect(received!.data.senderName).to.be.a('string');
        const [copy] = await wsA2.waitForMessages(1);
        expect(copy!.data.messageId).to.equal(ack.data.messageId);
        await sleep(100);
        expect(wsA.messages(), 'the sending device has SEND_ACK instead').to.have.length(0);
      } finally {
        await Promise.all([wsA.close(), wsB.close(), wsA2.close()]);
      }
    });

    it('accepts the token as a bearer subprotocol and refuses a bad token with CONNECT_ERROR', async () => {
      const user = await registerUser(api());
      const ws = await WsClient.connect(url(), user.accessToken, { tokenInProtocol: true });
      // The server picks one subprotocol: the encoding asked for, else `bearer` (JSON).
      expect(ws.ws.protocol).to.equal(encoding === 'proto' ? 'anychat.v1.proto' : 'bearer');
      await ws.close();
      const bad = WsClient.open(url(), 'not-a-token');
      const error = await bad.next((f) => f.type === 'CONNECT_ERROR');
      expect(error.data).to.include({ status: 401, code: ErrorCode.TOKEN_INVALID });
      expect(await bad.closed()).to.equal(4001);
      const none = WsClient.open(url(), '');
      await none.next((f) => f.type === 'CONNECT_ERROR');
      expect(await none.closed()).to.equal(4001);
    });

    it('answers bad frames with ERROR and keeps the connection', async () => {
      const user = await registerUser(api());
      const ws = await WsClient.connect(url(), user.accessToken);
      try {
        const deep = (levels: number): unknown => (levels === 0 ? [] : [deep(levels - 1)]);
        const byEncoding: Array<[unknown, number, RegExp]> =
          encoding === 'json'
            ? [
                ['{not json', 1, /JSON/],
                [new Uint8Array([8, 1]), 1, /JSON in text frames/],
                [{ type: 'PING', payload: 'x'.repeat(70_000) }, 14, /limited/],
                // 20,000 levels in 40 KB: answered before anything walks it (it used to end in 50106).
                [
                  `{"type":"SEND_MESSAGE","msgId":"deep","data":{"sessionType":"single","targetId":"1","contentType":"card","content":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`,
                  1,
                  /nests deeper than 32 levels/,
                ],
              ]
            : [
                ['{"type":"PING"}', 1, /protobuf in binary frames/],
                [new Uint8Array([0xff, 0xff, 0xff]), 1, /not an anychat.gateway.v1.ClientFrame/],
                [
                  {
                    type: 'SEND_MESSAGE',
                    msgId: 'big',
                    data: {
                      sessionType: 'single',
                      targetId: '1',
                      contentType: 'text',
                      content: 'x'.repeat(70_000),
                    },
                  },
                  14,
                  /limited/,
                ],
                [
                  {
                    type: 'SEND_MESSAGE',
                    msgId: 'deep',
                    data: { sessionType: 'single', targetId: '1', contentType: 'card', content: deep(40) },
                  },
                  1,
                  /nests deeper than 32 levels/,
                ],
              ];
        const cases: Array<[unknown, number, RegExp]> = [
          ...byEncoding,
          [{ type: 'NOPE' }, 1, /unknown frame type/],
          [{ msgId: 'x' }, 1, /unknown frame type/],
          [{ type: 'SEND_MESSAGE', msgId: 'm1', data: { sessionType: 'single' } }, 1, /data\.targetId/],
          [{ type: 'SEND_MESSAGE', data: {} }, 1, /msgId/],
          [{ type: 'MESSAGE_ACK', data: { messageIds: [] } }, 1, /messageIds/],
        ];
        for (const [frame, code, message] of cases) {
          const mark = ws.frames.length;
          ws.send(frame);
          const error = await ws.next((f) => f.type === 'ERROR', 5000, mark);
          expect(error.data.code, String(JSON.stringify(frame)).slice(0, 80)).to.equal(code);
          expect(error.data.message).to.match(message);
        }
        const mark = ws.frames.length;
        ws.send({ type: 'PING', timestamp: 1 });
        const pong = await ws.next((f) => f.type === 'PONG', 5000, mark);
        expect(pong.timestamp).to.be.a('number');
        expect(ws.ws.readyState).to.equal(ws.ws.OPEN);
      } finally {
        await ws.close();
      }
    });

    it('refuses messages to strangers (50107), from blocked users (50108), to unknown users (10102)', async () => {
      const a = await registerUser(api());
      const b = await registerUser(api());
      const ws = await WsClient.connect(url(), a.accessToken);
      try {
        expect((await ws.sendMessage(b.userId, 'hi')).data.code).to.equal(50107);
        await befriend(api(), a, b);
        await api().ok('POST', '/api/v1/friends/blacklist', {
          token: b.accessToken,
          body: { userId: a.userId },
        });
        expect((await ws.sendMessage(b.userId, 'hi')).data.code).to.equal(50108);
        expect((await ws.sendMessage('999999999999', 'hi')).data.code).to.equal(10102);
        expect((await ws.sendMessage(a.userId, 'me')).data.code).to.equal(1);
      } finally {
        await ws.close();
      }
    });

    it('validates each content type with its own schema and §7.8 codes', async () => {
      const { b, wsA, wsB } = await friendsOnline(platform());
      try {
        const valid: Array<[string, unknown]> = [
          ['text', '文字 text'],
          ['image', { url: 'https://cdn.example.com/a.png', width: 10, height: 10, size: 100 }],
          ['video', { url: 'https://cdn.example.com/v.mp4', duration: 3 }],
          ['voice', { url: 'https://cdn.example.com/v.ogg', duration: 3 }],
          ['file', { url: 'https://cdn.example.com/f.pdf', fileName: 'f.pdf', fileSize: 10 }],
          ['emoji', { url: 'https://cdn.example.com/e.gif', emojiId: 'smile' }],
          ['card', { userId: b.userId, nickname: 'B' }],
          ['location', { latitude: 31.2, longitude: 121.5, name: 'Bund' }],
          [
            'merged',
            { title: 'chat', items: [{ senderName: 'A', contentType: 'text', preview: 'x', timestamp: 1 }] },
          ],
          ['quote', { text: 'yes', quote: { messageId: '123', preview: 'q?' } }],
        ];
        for (const [contentType, content] of valid) {
          const ack = await wsA.sendMessage(b.userId, content, { contentType });
          expect(ack.type, `${contentType}: ${JSON.stringify(ack)}`).to.equal('SEND_ACK');
        }
        const received = await wsB.waitForMessages(valid.length);
        expect(received.map((f) => f.data.contentType)).to.deep.equal(valid.map(([type]) => type));
        const invalid: Array<[string, unknown, number]> = [
          ['text', '', 50109],
          ['text', '   ', 50109],
          ['text', 'x'.repeat(5001), 50110],
          ['image', { url: 'javascript:alert(1)' }, 50111],
          ['file', { url: 'ftp://x/y', fileName: 'y', fileSize: 1 }, 50111],
          ['sticker', { url: 'https://x' }, 50112],
          ['image', { width: 3 }, 1],
          ['location', { latitude: 200, longitude: 0 }, 1],
        ];
        for (const [contentType, content, code] of invalid) {
          const answer = await wsA.sendMessage(b.userId, content, { contentType });
          expect(answer.data?.code, `${contentType} ${JSON.stringify(content).slice(0, 40)}`).to.equal(code);
        }
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it('is idempotent on clientMsgId: a retry returns the first result and delivers once', async () => {
      const { a, b, wsA, wsB } = await friendsOnline(platform());
      try {
        const msgId = clientMsgId();
        const first = await wsA.sendMessage(b.userId, 'once', { msgId });
        const again = await wsA.sendMessage(b.userId, 'once', { msgId });
        expect(again.data).to.deep.equal(first.data);
        // The same message retried over REST from another device of the sender.
        const otherDevice = await loginDevice(api(), a, 'PC', 'pc-retry');
        const rest = await api().ok<{ messageId: string; seq: number }>('POST', '/api/v1/messages', {
          token: otherDevice.accessToken,
          body: {
            clientMsgId: msgId,
            sessionType: 'single',
            targetId: b.userId,
            contentType: 'text',
            content: 'once',
          },
        });
        expect(rest).to.include({ messageId: first.data.messageId, seq: first.data.seq });
        // The same clientMsgId sent from two devices at the same moment is stored once.
        const raced = clientMsgId();
        const [overWs, overRest] = await Promise.all([
          wsA.sendMessage(b.userId, 'raced', { msgId: raced }),
          api().ok<{ messageId: string }>('POST', '/api/v1/messages', {
            token: otherDevice.accessToken,
            body: {
              clientMsgId: raced,
              sessionType: 'single',
              targetId: b.userId,
              contentType: 'text',
              content: 'raced',
            },
          }),
        ]);
        expect(overWs.data.messageId).to.equal(overRest.messageId);
        await sleep(300);
        expect(wsB.messages().filter((f) => f.data.content === 'raced')).to.have.length(1);
        expect(wsB.messages().filter((f) => f.data.messageId === first.data.messageId)).to.have.length(1);
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it('replays what an offline recipient missed, in order, then goes live', async () => {
      const { a, b, wsA, wsB } = await friendsOnline(platform());
      const since = wsB.syncSeq;
      await wsB.close();
      try {
        for (let i = 0; i < 20; i++)
          expect((await wsA.sendMessage(b.userId, `m${i}`)).type).to.equal('SEND_ACK');
        const back = await WsClient.connect(url(), b.accessToken, { syncSeq: since });
        try {
          const replayed = back.messages();
          expect(texts(replayed)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `m${i}`));
          expect(replayed.map((f) => f.data.seq)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
          await wsA.sendMessage(b.userId, 'live');
          const all = await back.waitForMessages(21);
          expect(all.at(-1)!.data.content).to.equal('live');
          // An old syncSeq replays everything after it again (this connection of the same device
          // replaces the previous one).
          const again = await WsClient.connect(url(), b.accessToken, { syncSeq: 0 });
          expect(texts(again.messages())).to.deep.equal([...texts(replayed), 'live']);
          expect(await back.closed()).to.equal(4009);
          // So does a SYNC frame on an open connection, ending with SYNC_COMPLETE.
          const mark = again.frames.length;
          again.send({ type: 'SYNC', data: { syncSeq: since + 18 } });
          const complete = await again.next((f) => f.type === 'SYNC_COMPLETE', 5000, mark);
          expect(texts(again.frames.slice(mark).filter((f) => f.type === 'NEW_MESSAGE'))).to.deep.equal([
            'm18',
            'm19',
            'live',
          ]);
          expect(complete.data.syncSeq).to.equal(again.syncSeq);
          await again.close();
          // Offline pull over HTTP gives the same, page by page.
          const page1 = await api().ok<{ messages: Frame['data'][]; hasMore: boolean; nextSeq: number }>(
            'GET',
            `/api/v1/messages/offline?lastSeq=${since}&limit=15`,
            { token: b.accessToken },
          );
          expect(page1.hasMore).to.equal(true);
          const page2 = await api().ok<{ messages: Frame['data'][]; hasMore: boolean }>(
            'GET',
            `/api/v1/messages/offline?lastSeq=${page1.nextSeq}&limit=15`,
            { token: b.accessToken },
          );
          expect(page2.hasMore).to.equal(false);
          expect([...page1.messages, ...page2.messages].map((m) => m.content)).to.deep.equal([
            ...texts(replayed),
            'live',
          ]);
          expect(a.userId).to.be.a('string');
        } finally {
          await back.close();
        }
      } finally {
        await wsA.close();
      }
    });

    it('keeps each conversation in order when two devices of one user send concurrently', async () => {
      const { a, b, wsA, wsB } = await friendsOnline(platform());
      const other = await loginDevice(api(), a, 'PC', 'pc-concurrent');
      const wsA2 = await WsClient.connect(url(), other.accessToken);
      try {
        const sends = [];
        for (let i = 0; i < 15; i++) {
          sends.push(wsA.sendMessage(b.userId, `a1-${i}`));
          sends.push(wsA2.sendMessage(b.userId, `a2-${i}`));
        }
        const acks = await Promise.all(sends);
        expect(acks.every((f) => f.type === 'SEND_ACK')).to.equal(true);
        const received = await wsB.waitForMessages(30);
        await sleep(200);
        expect(wsB.messages()).to.have.length(30);
        expect(received.map((f) => f.data.seq)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 1));
        for (const prefix of ['a1-', 'a2-']) {
          const mine = texts(received).filter((t: string) => t.startsWith(prefix));
          expect(mine).to.deep.equal(Array.from({ length: 15 }, (_, i) => `${prefix}${i}`));
        }
        // Each sender device sees the other device's messages, never its own.
        const a2Saw = await wsA2.waitForMessages(15);
        expect(texts(a2Saw).every((t: string) => t.startsWith('a1-'))).to.equal(true);
      } finally {
        await Promise.all([wsA.close(), wsA2.close(), wsB.close()]);
      }
    });

    it('resends an unacknowledged NEW_MESSAGE once after 5 s', async function () {
      this.timeout(20_000);
      const a = await registerUser(api());
      const b = await registerUser(api());
      await befriend(api(), a, b);
      const wsA = await WsClient.connect(url(), a.accessToken);
      const wsB = await WsClient.connect(url(), b.accessToken, { autoAck: false });
      try {
        const ack = await wsA.sendMessage(b.userId, 'ack me');
        await wsB.waitForMessages(1);
        await wsB.waitForMessages(2, () => true, 8000);
        await sleep(6000);
        const copies = wsB.messages().filter((f) => f.data.messageId === ack.data.messageId);
        expect(copies, 'one push and exactly one resend').to.have.length(2);
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });
  });
});
