/**
 * Self-destructing messages sent over the WebSocket: SEND_MESSAGE with `data.selfDestruct` arms the
 * same timer as POST /api/v1/messages/self-destructing (test/chat/timers.test.ts), in JSON and in
 * the binary encoding, with the same bounds and the same authorization.
 */
import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend, loginDevice, sleep } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId, WsClient } from '../support/ws-client.ts';

type Timer = { ttlSeconds: unknown; startsOn?: unknown };

/** Sends a timed text over `ws` and resolves with the SEND_ACK or ERROR answering it. */
function sendTimed(
  ws: WsClient,
  targetId: string,
  content: string,
  selfDestruct: Timer,
  msgId = clientMsgId(),
) {
  const mark = ws.frames.length;
  ws.send({
    type: 'SEND_MESSAGE',
    msgId,
    data: { sessionType: 'single', targetId, contentType: 'text', content, selfDestruct },
  });
  return ws.next((f) => (f.type === 'SEND_ACK' || f.type === 'ERROR') && f.msgId === msgId, 10_000, mark);
}

forEachBackend(
  'self-destructing messages over the WebSocket',
  (platform) => {
    const api = () => platform().api;
    const url = () => platform().host.url;
    const history = (token: string, sessionId: string) =>
      api().ok<{ messages: Array<{ messageId: string }> }>(
        'GET',
        `/api/v1/messages/history?sessionId=${sessionId}`,
        { token },
      );
    const pair = async () => {
      const [a, b] = await Promise.all([registerUser(api()), registerUser(api())]);
      await befriend(api(), a!, b!);
      return { a: a!, b: b! };
    };

    it("burns a message sent with SEND_MESSAGE's selfDestruct after it is read, on both sides' devices", async () => {
      const { a, b } = await pair();
      const [a2, b2] = await Promise.all([
        loginDevice(api(), a, 'iOS', `ios-${a.account}`),
        loginDevice(api(), b, 'iOS', `ios-${b.account}`),
      ]);
      const devices = await Promise.all(
        [a.accessToken, a2.accessToken, b.accessToken, b2.accessToken].map((token) =>
          WsClient.connect(url(), token),
        ),
      );
      const [wsA, wsA2, wsB, wsB2] = devices as [WsClient, WsClient, WsClient, WsClient];
      try {
        // Sent twice with one msgId (a retry): the same message, with its one timer.
        const msgId = clientMsgId();
        const send = () =>
          sendTimed(wsA, b.userId, 'read me once', { ttlSeconds: 1, startsOn: 'read' }, msgId);
        const ack = await send();
        expect(ack.type, JSON.stringify(ack)).to.equal('SEND_ACK');
        const sent = ack.data as { messageId: string; sessionId: string; seq: number };
        expect((await send()).data.messageId).to.equal(sent.messageId);
        for (const ws of [wsA2, wsB, wsB2])
          await ws.waitForMessages(1, (f) => f.data.messageId === sent.messageId);
        // Unread, it stays well past its ttl.
        await sleep(1500);
        expect((await history(b.accessToken, sent.sessionId)).messages).to.have.length(1);
        const readAt = Date.now();
        await api().ok('POST', '/api/v1/messages/ack', {
          token: b.accessToken,
          body: { sessionId: sent.sessionId, messageIds: [sent.messageId] },
        });
        for (const ws of devices) {
          const destroyed = await ws.next(
            (f) => f.type === 'MESSAGE_DESTROYED' && f.data.messageId === sent.messageId,
            8000,
          );
          expect(destroyed.data).to.include({ sessionId: sent.sessionId, seq: sent.seq });
        }
        expect(Date.now() - readAt).to.be.at.least(900);
        for (const token of [a.accessToken, b.accessToken])
          expect((await history(token, sent.sessionId)).messages).to.have.length(0);
      } finally {
        await Promise.all(devices.map((ws) => ws.close()));
      }
    });

    it('arms a timer from the send given in the binary (protobuf) encoding', async () => {
      const { a, b } = await pair();
      const [wsA, wsB] = await Promise.all([
        WsClient.connect(url(), a.accessToken, { encoding: 'proto' }),
        WsClient.connect(url(), b.accessToken),
      ]);
      try {
        const ack = await sendTimed(wsA, b.userId, 'for a second', { ttlSeconds: 1, startsOn: 'send' });
        expect(ack.type, JSON.stringify(ack)).to.equal('SEND_ACK');
        const { messageId, sessionId } = ack.data as { messageId: string; sessionId: string };
        await wsB.waitForMessages(1, (f) => f.data.messageId === messageId);
        // Never read, yet removed from both sides.
        for (const ws of [wsA, wsB])
          await ws.next((f) => f.type === 'MESSAGE_DESTROYED' && f.data.messageId === messageId, 8000);
        expect((await history(b.accessToken, sessionId)).messages).to.have.length(0);
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it('answers a bad timer with ERROR invalid params naming its msgId, and sends nothing', async () => {
      const { a, b } = await pair();
      const [wsA, wsB] = await Promise.all([
        WsClient.connect(url(), a.accessToken),
        WsClient.connect(url(), b.accessToken),
      ]);
      try {
        const bad: Timer[] = [
          { ttlSeconds: 7 * 86_400 + 1 },
          { ttlSeconds: -1, startsOn: 'read' },
          { ttlSeconds: 1.5 },
          { ttlSeconds: 0, startsOn: 'send' },
          { ttlSeconds: 5, startsOn: 'never' },
          { ttlSeconds: '5' },
        ];
        for (const selfDestruct of bad) {
          const msgId = clientMsgId();
          const answer = await sendTimed(wsA, b.userId, 'no', selfDestruct, msgId);
          expect([answer.type, answer.msgId, answer.data.code], JSON.stringify(selfDestruct)).to.deep.equal([
            'ERROR',
            msgId,
            ErrorCode.INVALID_PARAMS,
          ]);
          expect(answer.data.message, 'names the field').to.include('selfDestruct');
        }
        // None was stored or delivered: the next message is the first b gets.
        const plain = await wsA.sendMessage(b.userId, 'after the refusals');
        expect(plain.type).to.equal('SEND_ACK');
        await wsB.waitForMessages(1);
        expect(wsB.messages().map((f) => f.data.content)).to.deep.equal(['after the refusals']);
        expect((await history(b.accessToken, plain.data.sessionId)).messages).to.have.length(1);
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it('keeps the send rules: a stranger is refused, and a bot token needs messages:send', async () => {
      const [owner, stranger] = await Promise.all([registerUser(api()), registerUser(api())]);
      const wsStranger = await WsClient.connect(url(), stranger!.accessToken);
      try {
        const refused = await sendTimed(wsStranger, owner!.userId, 'hi', { ttlSeconds: 5 });
        expect([refused.type, refused.data.code]).to.deep.equal(['ERROR', ErrorCode.MESSAGE_NOT_FRIEND]);
      } finally {
        await wsStranger.close();
      }

      const bot = await api().ok<{ botId: string }>('POST', '/api/v1/bots', {
        token: owner!.accessToken,
        body: { name: 'timer bot' },
      });
      // The owner befriends their own bot (a bot answers no request: it is a friendship at once).
      await api().ok('POST', '/api/v1/friends/requests', {
        token: owner!.accessToken,
        body: { userId: bot.botId, source: 'search' },
      });
      const tokenWith = (scopes: string[]) =>
        api().ok<{ token: string }>('POST', `/api/v1/bots/${bot.botId}/tokens`, {
          token: owner!.accessToken,
          body: { name: 'ci', scopes },
        });
      const [readOnly, sender] = await Promise.all([
        tokenWith(['messages:read']),
        tokenWith(['messages:read', 'messages:send']),
      ]);
      const wsOwner = await WsClient.connect(url(), owner!.accessToken);
      const [wsReadOnly, wsSender] = await Promise.all([
        WsClient.connect(url(), readOnly.token),
        WsClient.connect(url(), sender.token),
      ]);
      try {
        const scoped = await sendTimed(wsReadOnly, owner!.userId, 'no scope', { ttlSeconds: 5 });
        expect([scoped.type, scoped.data.code]).to.deep.equal(['ERROR', ErrorCode.TOKEN_SCOPE_MISSING]);
        const ack = await sendTimed(wsSender, owner!.userId, 'from the bot', {
          ttlSeconds: 1,
          startsOn: 'send',
        });
        expect(ack.type, JSON.stringify(ack)).to.equal('SEND_ACK');
        await wsOwner.waitForMessages(1, (f) => f.data.messageId === ack.data.messageId);
        await wsOwner.next(
          (f) => f.type === 'MESSAGE_DESTROYED' && f.data.messageId === ack.data.messageId,
          8000,
        );
        expect(wsOwner.messages().map((f) => f.data.content)).to.not.include('no scope');
      } finally {
        await Promise.all([wsOwner.close(), wsReadOnly.close(), wsSender.close()]);
      }
    });
  },
  { MESSAGE_TIMER_SWEEP_MS: '200' },
);
