import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend, loginDevice, sleep, textBody } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId, WsClient } from '../support/ws-client.ts';

interface Ack {
  messageId: string;
  sessionId: string;
  seq: number;
}
interface Scheduled {
  scheduleId: string;
  status: string;
  messageId: string | null;
  errorCode: number | null;
  sendAt: number;
}

forEachBackend(
  'self-destructing and scheduled messages',
  (platform) => {
    const api = () => platform().api;
    const url = () => platform().host.url;
    const history = (token: string, sessionId: string) =>
      api().ok<{ messages: Array<{ messageId: string; content: unknown }> }>(
        'GET',
        `/api/v1/messages/history?sessionId=${sessionId}`,
        { token },
      );
    const pair = async () => {
      const a = await registerUser(api());
      const b = await registerUser(api());
      await befriend(api(), a, b);
      return { a, b };
    };

    describe('self-destructing', () => {
      it('burns a message after it is read: gone from every device and from the server', async () => {
        const { a, b } = await pair();
        const second = await loginDevice(api(), b, 'iOS', `ios-${b.account}`);
        const [wsA, wsB, wsB2] = await Promise.all([
          WsClient.connect(url(), a.accessToken),
          WsClient.connect(url(), b.accessToken),
          WsClient.connect(url(), second.accessToken),
        ]);
        try {
          const sent = await api().ok<Ack>('POST', '/api/v1/messages/self-destructing', {
            token: a.accessToken,
            body: textBody(b.userId, 'read me once', { ttlSeconds: 1 }),
          });
          await wsB.waitForMessages(1);
          await wsB2.waitForMessages(1);
          // Unread, it stays (well past its ttl).
          await sleep(2000);
          expect((await history(b.accessToken, sent.sessionId)).messages).to.have.length(1);
          // It cannot be forwarded while it lives.
          const forwarded = await api().call('POST', '/api/v1/messages/forward', {
            token: b.accessToken,
            body: {
              clientMsgId: clientMsgId(),
              messageIds: [sent.messageId],
              targets: [{ sessionType: 'single', targetId: a.userId }],
            },
          });
          expect(forwarded.body.code).to.equal(ErrorCode.MESSAGE_NOT_FORWARDABLE);
          const readAt = Date.now();
          await api().ok('POST', '/api/v1/messages/ack', {
            token: b.accessToken,
            body: { sessionId: sent.sessionId, messageIds: [sent.messageId] },
          });
          for (const ws of [wsA, wsB, wsB2]) {
            const destroyed = await ws.next((f) => f.type === 'MESSAGE_DESTROYED', 8000);
            expect(destroyed.data).to.include({
              messageId: sent.messageId,
              sessionId: sent.sessionId,
              seq: sent.seq,
            });
          }
          expect(Date.now() - readAt).to.be.at.least(900);
          for (const token of [a.accessToken, b.accessToken])
            expect((await history(token, sent.sessionId)).messages).to.have.length(0);
          // The conversation list kept a preview of it as the last message: that goes too.
          await eventually('the preview is gone from the conversation list', async () => {
            const session = await api().ok<{ lastMessage: { preview: string } | null }>(
              'GET',
              `/api/v1/sessions/${sent.sessionId}`,
              { token: b.accessToken },
            );
            return !JSON.stringify(session).includes('read me once');
          });
          // A device that syncs from the start never sees the content, but does see the removal.
          const replay = await WsClient.connect(url(), b.accessToken, { syncSeq: 0 });
          expect(replay.messages().map((f) => f.data.messageId)).to.not.include(sent.messageId);
          expect(
            replay.frames.some((f) => f.type === 'MESSAGE_DESTROYED' && f.data.messageId === sent.messageId),
          ).to.equal(true);
          await replay.close();
          // The sender's record of the message is gone too: it can no longer be recalled.
          const recall = await api().call('POST', `/api/v1/messages/${sent.messageId}/recall`, {
            token: a.accessToken,
          });
          expect(recall.body.code).to.equal(ErrorCode.MESSAGE_NOT_FOUND);
        } finally {
          await Promise.all([wsA.close(), wsB.close(), wsB2.close()]);
        }
      });

      it('removes a message N seconds after it was sent, read or not, and refuses a bad timer', async () => {
        const { a, b } = await pair();
        const wsB = await WsClient.connect(url(), b.accessToken);
        try {
          const body = textBody(b.userId, 'for two seconds', { ttlSeconds: 2, startsOn: 'send' });
          const sent = await api().ok<Ack>('POST', '/api/v1/messages/self-destructing', {
            token: a.accessToken,
            body,
          });
          await wsB.waitForMessages(1);
          await wsB.next((f) => f.type === 'MESSAGE_DESTROYED' && f.data.messageId === sent.messageId, 8000);
          expect((await history(b.accessToken, sent.sessionId)).messages).to.have.length(0);
          // A plain message's clientMsgId cannot be reused to put a timer on it afterwards.
          const plain = await api().ok<Ack>('POST', '/api/v1/messages', {
            token: a.accessToken,
            body: { ...body, clientMsgId: 'plain-1', ttlSeconds: undefined, startsOn: undefined },
          });
          const reused = await api().call('POST', '/api/v1/messages/self-destructing', {
            token: a.accessToken,
            body: { ...body, clientMsgId: 'plain-1' },
          });
          expect(reused.body.code).to.equal(ErrorCode.INVALID_PARAMS);
          expect((await history(b.accessToken, plain.sessionId)).messages).to.have.length(1);
          const zero = await api().call('POST', '/api/v1/messages/self-destructing', {
            token: a.accessToken,
            body: { ...body, clientMsgId: clientMsgId(), ttlSeconds: 0 },
          });
          expect(zero.body.code).to.equal(ErrorCode.INVALID_PARAMS);
        } finally {
          await wsB.close();
        }
      });
    });

    describe('scheduled', () => {
      it('sends a message at its time, not before, and tells the sender’s devices', async () => {
        const { a, b } = await pair();
        const [wsA, wsB] = await Promise.all([
          WsClient.connect(url(), a.accessToken),
          WsClient.connect(url(), b.accessToken),
        ]);
        try {
          const sendAt = Date.now() + 2000;
          const scheduled = await api().ok<Scheduled>('POST', '/api/v1/messages/scheduled', {
            token: a.accessToken,
            body: textBody(b.userId, 'good morning', { sendAt }),
          });
          expect(scheduled.status).to.equal('pending');
          const note = await wsA.next(
            (f) => f.type === 'NOTIFICATION' && f.data.kind === 'message.scheduled',
          );
          expect(note.data.payload).to.include({ scheduleId: scheduled.scheduleId, status: 'pending' });
          const listed = await api().ok<{ scheduled: Scheduled[] }>('GET', '/api/v1/messages/scheduled', {
            token: a.accessToken,
          });
          expect(listed.scheduled.map((s) => s.scheduleId)).to.deep.equal([scheduled.scheduleId]);
          const arrived = await wsB.next((f) => f.type === 'NEW_MESSAGE', 8000);
          expect(Date.now()).to.be.at.least(sendAt);
          expect(arrived.data).to.include({ senderId: a.userId, content: 'good morning' });
          // The sender's device gets it too (it was not sent from any device).
          await wsA.waitForMessages(1);
          const sent = await api().ok<{ scheduled: Scheduled[] }>(
            'GET',
            '/api/v1/messages/scheduled?status=sent',
            {
              token: a.accessToken,
            },
          );
          expect(sent.scheduled[0]).to.include({ status: 'sent', messageId: arrived.data.messageId });
          // Sent once: nothing more arrives.
          await sleep(1500);
          expect(wsB.messages()).to.have.length(1);
        } finally {
          await Promise.all([wsA.close(), wsB.close()]);
        }
      });

      it('is cancelled by its sender only, and a cancelled one is never sent', async () => {
        const { a, b } = await pair();
        const body = textBody(b.userId, 'never mind', { sendAt: Date.now() + 1500 });
        const scheduled = await api().ok<Scheduled>('POST', '/api/v1/messages/scheduled', {
          token: a.accessToken,
          body,
        });
        // Someone else's schedule is unknown to them (b is the recipient, yet may not cancel it).
        const foreign = await api().call('DELETE', `/api/v1/messages/scheduled/${scheduled.scheduleId}`, {
          token: b.accessToken,
        });
        expect(foreign.status).to.equal(404);
        expect(foreign.body.code).to.equal(ErrorCode.MESSAGE_SCHEDULE_NOT_FOUND);
        const theirs = await api().ok<{ scheduled: Scheduled[] }>(
          'GET',
          '/api/v1/messages/scheduled?status=all',
          {
            token: b.accessToken,
          },
        );
        expect(theirs.scheduled).to.have.length(0);
        const cancelled = await api().ok<Scheduled>(
          'DELETE',
          `/api/v1/messages/scheduled/${scheduled.scheduleId}`,
          {
            token: a.accessToken,
          },
        );
        expect(cancelled.status).to.equal('cancelled');
        const again = await api().call('DELETE', `/api/v1/messages/scheduled/${scheduled.scheduleId}`, {
          token: a.accessToken,
        });
        expect(again.body.code).to.equal(ErrorCode.MESSAGE_SCHEDULE_DONE);
        await sleep(2500);
        const sessionId = `s_${[a.userId, b.userId].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)).join('_')}`;
        expect((await history(b.accessToken, sessionId)).messages).to.have.length(0);
        // Bad times and content are refused when scheduling, not when due.
        const past = await api().call('POST', '/api/v1/messages/scheduled', {
          token: a.accessToken,
          body: { ...body, clientMsgId: clientMsgId(), sendAt: Date.now() - 1000 },
        });
        expect(past.body.code).to.equal(ErrorCode.MESSAGE_SCHEDULE_TIME_INVALID);
        const empty = await api().call('POST', '/api/v1/messages/scheduled', {
          token: a.accessToken,
          body: { ...body, clientMsgId: clientMsgId(), content: '', sendAt: Date.now() + 60_000 },
        });
        expect(empty.body.code).to.equal(ErrorCode.MESSAGE_EMPTY);
      });

      it('marks a schedule failed when its send is refused when due, with the reason', async () => {
        const a = await registerUser(api());
        const stranger = await registerUser(api());
        const scheduled = await api().ok<Scheduled>('POST', '/api/v1/messages/scheduled', {
          token: a.accessToken,
          body: textBody(stranger.userId, 'hello?', { sendAt: Date.now() + 1100 }),
        });
        let failed: Scheduled | undefined;
        for (let i = 0; i < 40 && !failed; i++) {
          await sleep(200);
          const list = await api().ok<{ scheduled: Scheduled[] }>(
            'GET',
            '/api/v1/messages/scheduled?status=failed',
            {
              token: a.accessToken,
            },
          );
          failed = list.scheduled.find((s) => s.scheduleId === scheduled.scheduleId);
        }
        expect(failed).to.include({
          status: 'failed',
          errorCode: ErrorCode.MESSAGE_NOT_FRIEND,
          messageId: null,
        });
      });
    });
  },
  { MESSAGE_TIMER_SWEEP_MS: '200' },
);
