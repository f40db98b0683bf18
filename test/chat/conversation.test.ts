import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend, friendsOnline, sleep } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { forEachBackend } from '../support/platform.ts';
import { type Frame, forEachEncoding, WsClient } from '../support/ws-client.ts';

interface HistoryMessage {
  messageId: string;
  seq: number;
  content: unknown;
  recalled: boolean;
  status: string | null;
  senderId: string;
}

interface SessionView {
  sessionId: string;
  unreadCount: number;
  lastMessage: { messageId: string; preview: string } | null;
  isPinned: boolean;
}

forEachBackend(
  'conversations: receipts, recall, delete, clear, search, typing and the conversation list',
  (platform) => {
    const api = () => platform().api;
    const url = () => platform().host.url;
    const history = (token: string, sessionId: string, extra = '') =>
      api().ok<{ messages: HistoryMessage[]; hasMore: boolean }>(
        'GET',
        `/api/v1/messages/history?sessionId=${sessionId}${extra}`,
        { token },
      );

    forEachEncoding(() => {
      it('delivers friend notifications live, and through sync to a device that was away', async () => {
        const a = await registerUser(api());
        const b = await registerUser(api());
        const c = await registerUser(api());
        const wsB = await WsClient.connect(url(), b.accessToken);
        const request = (from: typeof a) =>
          api().ok('POST', '/api/v1/friends/requests', {
            token: from.accessToken,
            body: { userId: b.userId, message: 'hello', source: 'search' },
          });
        await request(a);
        const live = await wsB.next(
          (f) => f.type === 'NOTIFICATION' && f.data.kind === 'friend.request.received',
        );
        expect(JSON.stringify(live.data.payload)).to.include(a.userId);
        const since = wsB.syncSeq;
        await wsB.close();
        await request(c);
        await platform().host.settled();
        const back = await WsClient.connect(url(), b.accessToken, { syncSeq: since });
        const replayed = back.frames.filter((f) => f.type === 'NOTIFICATION');
        expect(replayed).to.have.length(1);
        expect(JSON.stringify(replayed[0]!.data.payload)).to.include(c.userId);
        expect(replayed[0]!.data.syncSeq).to.equal(since + 1);
        await back.close();
      });

      it('shows my messages as sent, delivered, then read, and tells me with MESSAGE_READ', async () => {
        const a = await registerUser(api());
        const b = await registerUser(api());
        await befriend(api(), a, b);
        const wsA = await WsClient.connect(url(), a.accessToken);
        try {
          const first = await wsA.sendMessage(b.userId, 'one');
          const { sessionId } = first.data;
          expect((await history(a.accessToken, sessionId)).messages[0]!.status).to.equal('sent');
          const wsB = await WsClient.connect(url(), b.accessToken, { syncSeq: 0 });
          await wsB.waitForMessages(1);
          await sleep(1500); // acks are recorded in batches
          expect((await history(a.accessToken, sessionId)).messages[0]!.status).to.equal('delivered');
          const second = await wsA.sendMessage(b.userId, 'two');
          await wsB.waitForMessages(2);
          // The conversation list is a projection of message events: it catches up shortly after.
          await eventually('b has both messages unread', async () => {
            const unread = await api().ok<SessionView>('GET', `/api/v1/sessions/${sessionId}`, {
              token: b.accessToken,
            });
            return unread.unreadCount === 2;
          });
          await api().ok('POST', '/api/v1/messages/ack', {
            token: b.accessToken,
            body: { sessionId, messageIds: [second.data.messageId] },
          });
          const read = await wsA.next((f) => f.type === 'MESSAGE_READ');
          expect(read.data).to.include({ sessionId, userId: b.userId, readSeq: 2 });
          expect(read.data.messageIds).to.deep.equal([second.data.messageId]);
          const statuses = (await history(a.accessToken, sessionId)).messages.map((m) => m.status);
          expect(statuses).to.deep.equal(['read', 'read']);
          await platform().host.settled();
          const after = await api().ok<SessionView>('GET', `/api/v1/sessions/${sessionId}`, {
            token: b.accessToken,
          });
          expect(after.unreadCount).to.equal(0);
          await wsB.close();
        } finally {
          await wsA.close();
        }
      });

      it('lists conversations with last message and unread counts, and pins and mutes them', async () => {
        const { a, b, wsA, wsB } = await friendsOnline(platform());
        const c = await registerUser(api());
        await befriend(api(), c, b);
        const wsC = await WsClient.connect(url(), c.accessToken);
        try {
          const fromA = await wsA.sendMessage(b.userId, 'from a');
          await wsC.sendMessage(b.userId, 'from c 1');
          await wsC.sendMessage(b.userId, 'from c 2');
          await platform().host.settled();
          const list = await api().ok<{ sessions: SessionView[] }>('GET', '/api/v1/sessions', {
            token: b.accessToken,
          });
          expect(list.sessions.map((s) => [s.lastMessage?.preview, s.unreadCount])).to.deep.equal([
            ['from c 2', 2],
            ['from a', 1],
          ]);
          await api().ok('PUT', `/api/v1/sessions/${fromA.data.sessionId}/pin`, {
            token: b.accessToken,
            body: { isPinned: true },
          });
          const pinned = await api().ok<{ sessions: SessionView[] }>('GET', '/api/v1/sessions', {
            token: b.accessToken,
          });
          expect(pinned.sessions[0]!.sessionId).to.equal(fromA.data.sessionId);
          // B's devices hear about the pin through the timeline.
          const note = await wsB.next((f) => f.type === 'NOTIFICATION' && f.data.kind === 'session.updated');
          expect(note.data.payload.isPinned).to.equal(true);
          // It says which device made the change (the one that called the API).
          expect(note.data.originDeviceId).to.equal(`web-${b.account}`);
          const total = await api().ok<{ total: number }>('GET', '/api/v1/sessions/unread', {
            token: b.accessToken,
          });
          expect(total.total).to.equal(3);
          expect(a.userId).to.be.a('string');
        } finally {
          await Promise.all([wsA.close(), wsB.close(), wsC.close()]);
        }
      });

      it('recalls within the window for both sides, and never serves the content again', async () => {
        const { a, b, wsA, wsB } = await friendsOnline(platform());
        try {
          const sent = await wsA.sendMessage(b.userId, 'oops');
          await wsB.waitForMessages(1);
          const refused = await api().call('POST', `/api/v1/messages/${sent.data.messageId}/recall`, {
            token: b.accessToken,
          });
          expect(refused.body.code).to.equal(ErrorCode.MESSAGE_RECALL_FORBIDDEN);
          await api().ok('POST', `/api/v1/messages/${sent.data.messageId}/recall`, { token: a.accessToken });
          for (const ws of [wsA, wsB]) {
            const recalled = await ws.next((f) => f.type === 'MESSAGE_RECALLED');
            expect(recalled.data).to.include({ messageId: sent.data.messageId, recalledBy: a.userId });
          }
          const again = await api().call('POST', `/api/v1/messages/${sent.data.messageId}/recall`, {
            token: a.accessToken,
          });
          expect(again.body.code).to.equal(ErrorCode.MESSAGE_RECALLED);
          const [seen] = (await history(b.accessToken, sent.data.sessionId)).messages;
          expect(seen).to.include({ recalled: true, content: null });
          const replay = await WsClient.connect(url(), b.accessToken, { syncSeq: 0 });
          const replayed = replay.messages().find((f) => f.data.messageId === sent.data.messageId)!;
          expect(replayed.data).to.include({ recalled: true, content: null });
          await replay.close();
        } finally {
          await Promise.all([wsA.close(), wsB.close()]);
        }
      });

      it('deletes a message and clears a conversation for me only', async () => {
        const { a, b, wsA, wsB } = await friendsOnline(platform());
        try {
          const one = await wsA.sendMessage(b.userId, 'one');
          await wsA.sendMessage(b.userId, 'two');
          const sessionId = one.data.sessionId;
          await api().ok('DELETE', `/api/v1/messages/${one.data.messageId}`, { token: b.accessToken });
          expect((await history(b.accessToken, sessionId)).messages.map((m) => m.content)).to.deep.equal([
            'two',
          ]);
          expect((await history(a.accessToken, sessionId)).messages).to.have.length(2);
          await api().ok('POST', '/api/v1/messages/clear', { token: a.accessToken, body: { sessionId } });
          expect((await history(a.accessToken, sessionId)).messages).to.have.length(0);
          expect((await history(b.accessToken, sessionId)).messages).to.have.length(1);
          await wsA.sendMessage(b.userId, 'three');
          expect((await history(a.accessToken, sessionId)).messages.map((m) => m.content)).to.deep.equal([
            'three',
          ]);
          await wsB.waitForMessages(3);
        } finally {
          await Promise.all([wsA.close(), wsB.close()]);
        }
      });

      it('pages history both ways', async () => {
        const { a, b, wsA, wsB } = await friendsOnline(platform());
        try {
          let sessionId = '';
          for (let i = 1; i <= 7; i++) sessionId = (await wsA.sendMessage(b.userId, `h${i}`)).data.sessionId;
          const newest = await history(b.accessToken, sessionId, '&limit=3');
          expect(newest.messages.map((m) => m.seq)).to.deep.equal([7, 6, 5]);
          expect(newest.hasMore).to.equal(true);
          const older = await history(b.accessToken, sessionId, '&limit=3&startSeq=5');
          expect(older.messages.map((m) => m.seq)).to.deep.equal([4, 3, 2]);
          const forward = await history(b.accessToken, sessionId, '&limit=10&startSeq=4&direction=forward');
          expect(forward.messages.map((m) => m.seq)).to.deep.equal([5, 6, 7]);
          expect(forward.hasMore).to.equal(false);
          expect(a.userId).to.be.a('string');
        } finally {
          await Promise.all([wsA.close(), wsB.close()]);
        }
      });

      it('searches my conversations by keyword (Chinese too), sender, type and time', async () => {
        const { a, b, wsA, wsB } = await friendsOnline(platform());
        try {
          await wsA.sendMessage(b.userId, '明天下午开会讨论项目');
          await wsA.sendMessage(b.userId, 'lunch at noon?');
          await wsA.sendMessage(
            b.userId,
            { url: 'https://cdn.example.com/r.pdf', fileName: '项目报告.pdf', fileSize: 9 },
            {
              contentType: 'file',
            },
          );
          const search = (token: string, query: string) =>
            api().ok<{ total: number; messages: Array<{ content: unknown; contentType: string }> }>(
              'GET',
              `/api/v1/messages/search?${query}`,
              { token },
            );
          const found = await search(b.accessToken, `keyword=${encodeURIComponent('项目')}`);
          expect(found.total).to.equal(2);
          expect(found.messages.map((m) => m.contentType).sort()).to.deep.equal(['file', 'text']);
          expect((await search(b.accessToken, 'keyword=LUNCH')).total).to.equal(1);
          expect((await search(b.accessToken, 'keyword=%25')).total, 'wildcards are literal').to.equal(0);
          expect((await search(b.accessToken, `senderId=${a.userId}&contentType=file`)).total).to.equal(1);
          expect(
            (await search(b.accessToken, `keyword=lunch&startTime=${Date.now() + 60_000}`)).total,
          ).to.equal(0);
          const stranger = await registerUser(api());
          expect(
            (await search(stranger.accessToken, 'keyword=lunch')).total,
            'only my conversations',
          ).to.equal(0);
          const empty = await api().call('GET', '/api/v1/messages/search', { token: b.accessToken });
          expect(empty.body.code).to.equal(ErrorCode.INVALID_PARAMS);
        } finally {
          await Promise.all([wsA.close(), wsB.close()]);
        }
      });

      it('relays typing to the other side only, and only within my conversations', async () => {
        const { a, b, wsA, wsB } = await friendsOnline(platform());
        const c = await registerUser(api());
        const wsC = await WsClient.connect(url(), c.accessToken);
        try {
          const sessionId = (await wsA.sendMessage(b.userId, 'hey')).data.sessionId;
          wsA.send({ type: 'TYPING', data: { sessionId, sessionType: 'single' } });
          const typing = await wsB.next((f) => f.type === 'USER_TYPING');
          expect(typing.data).to.include({ userId: a.userId, sessionId, expiresIn: 3 });
          const mark = wsC.frames.length;
          wsC.send({ type: 'TYPING', msgId: 't1', data: { sessionId, sessionType: 'single' } });
          const refused = await wsC.next((f) => f.type === 'ERROR', 5000, mark);
          expect(refused).to.deep.include({ msgId: 't1' });
          expect(refused.data.code).to.equal(ErrorCode.FORBIDDEN);
        } finally {
          await Promise.all([wsA.close(), wsB.close(), wsC.close()]);
        }
      });

      it("never lets a third user read, ack, recall, delete, clear or search someone else's conversation", async () => {
        const { b, wsA, wsB } = await friendsOnline(platform());
        const eve = await registerUser(api());
        try {
          const sent = await wsA.sendMessage(b.userId, 'private');
          const { sessionId, messageId } = sent.data;
          const attempts: Array<[string, string, unknown, number]> = [
            ['GET', `/api/v1/messages/history?sessionId=${sessionId}`, undefined, ErrorCode.FORBIDDEN],
            ['POST', '/api/v1/messages/ack', { sessionId }, ErrorCode.FORBIDDEN],
            ['POST', '/api/v1/messages/clear', { sessionId }, ErrorCode.FORBIDDEN],
            ['POST', `/api/v1/messages/${messageId}/recall`, undefined, ErrorCode.MESSAGE_NOT_FOUND],
            ['DELETE', `/api/v1/messages/${messageId}`, undefined, ErrorCode.MESSAGE_NOT_FOUND],
            ['GET', `/api/v1/messages/search?sessionId=${sessionId}`, undefined, ErrorCode.FORBIDDEN],
            ['GET', `/api/v1/sessions/${sessionId}`, undefined, 60101],
          ];
          for (const [method, path, body, code] of attempts) {
            const response = await api().call(method, path, { token: eve.accessToken, body });
            expect(response.body.code, `${method} ${path}`).to.equal(code);
            expect(JSON.stringify(response.body.data ?? null)).to.not.include('private');
          }
          const offline = await api().ok<{ messages: Frame['data'][] }>(
            'GET',
            '/api/v1/messages/offline?lastSeq=0',
            {
              token: eve.accessToken,
            },
          );
          expect(offline.messages).to.have.length(0);
          const wsEve = await WsClient.connect(url(), eve.accessToken, { syncSeq: 0 });
          const mark = wsEve.frames.length;
          wsEve.send({ type: 'MESSAGE_ACK', data: { messageIds: [messageId] } });
          wsEve.send({ type: 'PING' });
          await wsEve.next((f) => f.type === 'PONG', 5000, mark);
          expect(wsEve.messages()).to.have.length(0);
          await wsEve.close();
        } finally {
          await Promise.all([wsA.close(), wsB.close()]);
        }
      });
    });
  },
);
