import { expect } from 'chai';
import { type ApiClient, registerUser } from '../support/api-client.ts';
import { befriendAll, type User } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId, type Frame, forEachEncoding, WsClient } from '../support/ws-client.ts';

/**
 * Read-time fan-out (DESIGN §6): groups of at least MESSAGE_GROUP_READ_FANOUT_MIN_MEMBERS members
 * store a message once, numbered by the group's seq; members read it outside their timeline
 * (NEW_MESSAGE with syncSeq 0, in the group's seq order) and keep a position per group. The promise
 * is the same as for the timeline: nothing lost or shown twice, each conversation in order, across
 * reconnects; and only while a member is in the group.
 */
const MIN_MEMBERS = 4;

async function sendToGroup(ws: WsClient, groupId: string, content: string) {
  const msgId = clientMsgId();
  const mark = ws.frames.length;
  ws.send({
    type: 'SEND_MESSAGE',
    msgId,
    data: { sessionType: 'group', targetId: groupId, contentType: 'text', content },
  });
  const answer = await ws.next(
    (f) => (f.type === 'SEND_ACK' || f.type === 'ERROR') && f.msgId === msgId,
    10_000,
    mark,
  );
  expect(answer.type, JSON.stringify(answer)).to.equal('SEND_ACK');
  return answer;
}

/** The texts of a client's chat messages of one group, in arrival order. */
const texts = (ws: WsClient, sessionId: string) =>
  ws
    .messages()
    .filter((f: Frame) => f.data.sessionId === sessionId && f.data.contentType === 'text')
    .map((f: Frame) => f.data.content as string);

/** Arrival order is the group's seq order, with no seq twice. */
function expectInSeqOrder(ws: WsClient, sessionId: string) {
  const seqs = ws
    .messages()
    .filter((f: Frame) => f.data.sessionId === sessionId)
    .map((f: Frame) => f.data.seq as number);
  expect(seqs, 'seqs in arrival order').to.deep.equal([...new Set(seqs)].sort((a, b) => a - b));
}

forEachBackend(
  'read fan-out groups (big groups read by the group seq)',
  (platform) => {
    const api = (): ApiClient => platform().api;
    const url = () => platform().host.url;

    async function group(size: number) {
      const users = await Promise.all(Array.from({ length: size }, () => registerUser(api())));
      await befriendAll(api(), users[0]!, users.slice(1));
      const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: users[0]!.accessToken,
        body: { name: 'big', memberIds: users.slice(1).map((u) => u.userId) },
      });
      return { users, groupId, sessionId: `g_${groupId}` };
    }

    const offline = (user: User, lastSeq: number, groupSeqs = '') =>
      api().ok<{
        messages: Array<{ contentType: string }>;
        nextSeq: number;
        groups: Array<{
          sessionId: string;
          messages: Array<{ seq: number; content: unknown; contentType: string; syncSeq: number }>;
          groupSeq: number;
          hasMore: boolean;
        }>;
      }>('GET', `/api/v1/messages/offline?lastSeq=${lastSeq}${groupSeqs ? `&groupSeqs=${groupSeqs}` : ''}`, {
        token: user.accessToken,
      });

    forEachEncoding(() => {
      it('stores a big group message once: members get it live by the group seq (syncSeq 0), outside their timeline', async () => {
        const { users, groupId, sessionId } = await group(MIN_MEMBERS);
        const sockets = await Promise.all(users.map((u) => WsClient.connect(url(), u.accessToken)));
        try {
          const heads = sockets.map((ws) => ws.syncSeq);
          const acks = [];
          for (let i = 0; i < 5; i++) acks.push(await sendToGroup(sockets[i % 2]!, groupId, `m${i}`));
          expect(acks.map((a) => a.data.syncSeq)).to.deep.equal([0, 0, 0, 0, 0]);
          for (const [index, ws] of sockets.entries()) {
            const own = [0, 1, 2, 3, 4].filter((i) => i % 2 === index).map((i) => `m${i}`);
            const expected = ['m0', 'm1', 'm2', 'm3', 'm4'].filter((t) => !own.includes(t));
            await eventually('every message reaches the member', () =>
              expect(texts(ws, sessionId)).to.deep.equal(expected),
            );
            expectInSeqOrder(ws, sessionId);
            for (const frame of ws.messages().filter((f) => f.data.contentType === 'text'))
              expect(frame.data.syncSeq).to.equal(0);
            expect(ws.groupSeqs.get(sessionId)).to.equal(acks.at(-1)!.data.seq);
          }
          // No member's timeline moved for the chat messages: the timeline pull has none of them.
          for (const [index, user] of users.entries()) {
            const page = await offline(user, heads[index]!);
            expect(page.messages.filter((m) => m.contentType === 'text')).to.have.length(0);
          }
        } finally {
          await Promise.all(sockets.map((s) => s.close()));
        }
      });
    });

    it('replays what a member missed offline, in order and once, at reconnect with its positions (and from its membership without them)', async () => {
      const { users, groupId, sessionId } = await group(MIN_MEMBERS);
      const sender = await WsClient.connect(url(), users[0]!.accessToken);
      const member = await WsClient.connect(url(), users[1]!.accessToken);
      try {
        await sendToGroup(sender, groupId, 'before');
        await member.waitForMessages(1, (f) => f.data.content === 'before');
        const syncSeq = member.syncSeq;
        const groupSeqs = new Map(member.groupSeqs);
        await member.close();
        for (let i = 0; i < 12; i++) await sendToGroup(sender, groupId, `away${i}`);

        const back = await WsClient.connect(url(), users[1]!.accessToken, { syncSeq, groupSeqs });
        try {
          const expected = Array.from({ length: 12 }, (_, i) => `away${i}`);
          expect(texts(back, sessionId)).to.deep.equal(expected);
          expectInSeqOrder(back, sessionId);
          const complete = back.frames.find((f) => f.type === 'SYNC_COMPLETE')!;
          const last = await offline(users[0]!, 0, `${sessionId}:0`);
          const head = last.groups.find((g) => g.sessionId === sessionId)!.groupSeq;
          expect(complete.data.groupSeqs).to.deep.include({ sessionId, seq: head });
          // Live again after the replay, without a duplicate.
          await sendToGroup(sender, groupId, 'live');
          await back.waitForMessages(1, (f) => f.data.content === 'live');
          expect(texts(back, sessionId)).to.deep.equal([...expected, 'live']);
        } finally {
          await back.close();
        }
        // A device that names no position gets the group from the start of its membership.
        const fresh = await WsClient.connect(url(), users[2]!.accessToken, { syncSeq: 0 });
        try {
          expect(texts(fresh, sessionId)).to.deep.equal([
            'before',
            ...Array.from({ length: 12 }, (_, i) => `away${i}`),
            'live',
          ]);
          expectInSeqOrder(fresh, sessionId);
        } finally {
          await fresh.close();
        }
      } finally {
        await sender.close();
      }
    });

    it('offline pull returns each read fan-out group past the given position, and refuses a malformed list', async () => {
      const { users, groupId, sessionId } = await group(MIN_MEMBERS);
      const sender = await WsClient.connect(url(), users[0]!.accessToken);
      try {
        const first = await sendToGroup(sender, groupId, 'one');
        await sendToGroup(sender, groupId, 'two');
        await sendToGroup(sender, groupId, 'three');
        const all = await offline(users[3]!, 0);
        const mine = all.groups.find((g) => g.sessionId === sessionId)!;
        expect(mine.messages.filter((m) => m.contentType === 'text').map((m) => m.content)).to.deep.equal([
          'one',
          'two',
          'three',
        ]);
        expect(mine.messages.every((m) => m.syncSeq === 0)).to.equal(true);
        expect(mine.hasMore).to.equal(false);
        const after = await offline(users[3]!, 0, `${sessionId}:${first.data.seq}`);
        expect(
          after.groups.find((g) => g.sessionId === sessionId)!.messages.map((m) => m.content),
        ).to.deep.equal(['two', 'three']);
        const none = await offline(users[3]!, 0, `${sessionId}:${mine.groupSeq}`);
        expect(none.groups.find((g) => g.sessionId === sessionId)).to.equal(undefined);
        const refused = await api().call('GET', '/api/v1/messages/offline?groupSeqs=s_1_2:3', {
          token: users[3]!.accessToken,
        });
        expect(refused.status).to.equal(400);
      } finally {
        await sender.close();
      }
    });

    it('a member who joins late gets nothing from before; one removed gets nothing after', async () => {
      const { users, groupId, sessionId } = await group(MIN_MEMBERS);
      const late = await registerUser(api());
      await befriendAll(api(), users[0]!, [late]);
      const sender = await WsClient.connect(url(), users[0]!.accessToken);
      try {
        await sendToGroup(sender, groupId, 'early');
        await api().ok('POST', `/api/v1/groups/${groupId}/members`, {
          token: users[0]!.accessToken,
          body: { userIds: [late.userId] },
        });
        const lateWs = await WsClient.connect(url(), late.accessToken, { syncSeq: 0 });
        const removed = await WsClient.connect(url(), users[3]!.accessToken);
        try {
          await sendToGroup(sender, groupId, 'joined');
          await lateWs.waitForMessages(1, (f) => f.data.content === 'joined');
          await removed.waitForMessages(1, (f) => f.data.content === 'joined');
          await api().ok('DELETE', `/api/v1/groups/${groupId}/members/${users[3]!.userId}`, {
            token: users[0]!.accessToken,
          });
          await sendToGroup(sender, groupId, 'after removal');
          await lateWs.waitForMessages(1, (f) => f.data.content === 'after removal');
          expect(texts(lateWs, sessionId)).to.deep.equal(['joined', 'after removal']);
          const replayed = await WsClient.connect(url(), late.accessToken, { syncSeq: 0 });
          expect(texts(replayed, sessionId)).to.deep.equal(['joined', 'after removal']);
          await replayed.close();
          // Neither live, nor by sync, nor by the offline pull.
          expect(texts(removed, sessionId)).to.deep.equal(['joined']);
          const again = await WsClient.connect(url(), users[3]!.accessToken, { syncSeq: 0 });
          expect(texts(again, sessionId)).to.deep.equal(['early', 'joined']);
          await again.close();
          const pulled = await offline(users[3]!, 0);
          expect(
            pulled.groups.flatMap((g) =>
              g.messages.filter((m) => m.contentType === 'text').map((m) => m.content),
            ),
          ).to.deep.equal(['early', 'joined']);
        } finally {
          await lateWs.close();
          await removed.close();
        }
      } finally {
        await sender.close();
      }
    });

    it('loses nothing when a group crosses the threshold while messages flow (live and replayed)', async () => {
      const { users, groupId, sessionId } = await group(MIN_MEMBERS - 1);
      const extra = await registerUser(api());
      await befriendAll(api(), users[0]!, [extra]);
      const sender = await WsClient.connect(url(), users[0]!.accessToken);
      const live = await WsClient.connect(url(), users[1]!.accessToken);
      const offlineMember = await WsClient.connect(url(), users[2]!.accessToken);
      const expected: string[] = [];
      try {
        const flow = async (count: number, prefix: string) => {
          for (let i = 0; i < count; i++) {
            const text = `${prefix}${i}`;
            expected.push(text);
            await sendToGroup(sender, groupId, text);
          }
        };
        await flow(3, 'small');
        await offlineMember.waitForMessages(3, (f) => f.data.contentType === 'text');
        const syncSeq = offlineMember.syncSeq;
        await offlineMember.close();
        // Sends keep coming while the group grows past the threshold.
        const growing = api().ok('POST', `/api/v1/groups/${groupId}/members`, {
          token: users[0]!.accessToken,
          body: { userIds: [extra.userId] },
        });
        await flow(3, 'during');
        await growing;
        await flow(4, 'big');
        const lastAck = await sendToGroup(sender, groupId, 'last');
        expected.push('last');
        expect(lastAck.data.syncSeq, 'the group is read fan-out now').to.equal(0);
        await eventually('every message reaches the online member', () =>
          expect(texts(live, sessionId)).to.deep.equal(expected),
        );
        expectInSeqOrder(live, sessionId);
        const back = await WsClient.connect(url(), users[2]!.accessToken, { syncSeq });
        try {
          expect([...texts(offlineMember, sessionId), ...texts(back, sessionId)]).to.deep.equal(expected);
          expectInSeqOrder(back, sessionId);
        } finally {
          await back.close();
        }
      } finally {
        await sender.close();
        await live.close();
      }
    });

    it('recalls in a big group reach every member, live and through sync', async () => {
      const { users, groupId, sessionId } = await group(MIN_MEMBERS);
      const sender = await WsClient.connect(url(), users[0]!.accessToken);
      const member = await WsClient.connect(url(), users[1]!.accessToken);
      const away = await WsClient.connect(url(), users[2]!.accessToken);
      try {
        const ack = await sendToGroup(sender, groupId, 'oops');
        await member.waitForMessages(1, (f) => f.data.content === 'oops');
        await away.waitForMessages(1, (f) => f.data.content === 'oops');
        const syncSeq = away.syncSeq;
        const groupSeqs = new Map(away.groupSeqs);
        await away.close();
        await api().ok('POST', `/api/v1/messages/${ack.data.messageId}/recall`, {
          token: users[0]!.accessToken,
        });
        await member.next((f) => f.type === 'MESSAGE_RECALLED' && f.data.messageId === ack.data.messageId);
        const back = await WsClient.connect(url(), users[2]!.accessToken, { syncSeq, groupSeqs });
        const recalled = back.frames.filter((f) => f.type === 'MESSAGE_RECALLED');
        expect(recalled.map((f) => f.data.messageId)).to.deep.equal([ack.data.messageId]);
        expect(recalled[0]!.data.sessionId).to.equal(sessionId);
        expect(texts(back, sessionId), 'the message itself is not sent again').to.deep.equal([]);
        await back.close();
      } finally {
        await sender.close();
        await member.close();
      }
    });
  },
  { MESSAGE_GROUP_READ_FANOUT_MIN_MEMBERS: String(MIN_MEMBERS) },
);
