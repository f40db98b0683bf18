import { expect } from 'chai';
import type { Host } from '../../services/host.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { type ApiClient, registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriendAll, sleep, startExtraGateway, type User } from '../support/chat.ts';
import { forEachBackend, startPlatform, type TestPlatform } from '../support/platform.ts';
import { clientMsgId, type Frame, forEachEncoding, WsClient } from '../support/ws-client.ts';

/** Creates a group owned by `owner` with the given members (made the owner's friends first); returns its id. */
async function createGroup(api: ApiClient, owner: User, members: User[], name = 'team'): Promise<string> {
  await befriendAll(api, owner, members);
  const created = await api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
    token: owner.accessToken,
    body: { name, memberIds: members.map((m) => m.userId) },
  });
  return created.groupId;
}

/** SEND_MESSAGE to a group; resolves with the SEND_ACK or ERROR. */
async function sendToGroup(
  ws: WsClient,
  groupId: string,
  content: string,
  extra: Record<string, unknown> = {},
) {
  const msgId = clientMsgId();
  const mark = ws.frames.length;
  ws.send({
    type: 'SEND_MESSAGE',
    msgId,
    data: { sessionType: 'group', targetId: groupId, contentType: 'text', content, ...extra },
  });
  return ws.next((f) => (f.type === 'SEND_ACK' || f.type === 'ERROR') && f.msgId === msgId, 10_000, mark);
}

const chat = (ws: WsClient) => ws.messages().filter((f) => f.data.contentType === 'text');

forEachBackend('group chat over WebSocket', (platform) => {
  const api = () => platform().api;
  const url = () => platform().host.url;

  async function team(size = 3) {
    const users = await Promise.all(Array.from({ length: size }, () => registerUser(api())));
    const groupId = await createGroup(api(), users[0]!, users.slice(1));
    const sockets = await Promise.all(users.map((u) => WsClient.connect(url(), u.accessToken)));
    return { users, groupId, sockets, close: () => Promise.all(sockets.map((s) => s.close())) };
  }

  forEachEncoding(() => {
    it('fans one stored message out to every member with one seq, and posts group events as system messages', async () => {
      const { users, groupId, sockets, close } = await team(3);
      try {
        const ack = await sendToGroup(sockets[1]!, groupId, 'hello team');
        expect(ack.type, JSON.stringify(ack)).to.equal('SEND_ACK');
        expect(ack.data.sessionId).to.equal(`g_${groupId}`);
        for (const ws of [sockets[0]!, sockets[2]!]) {
          const [got] = await ws.waitForMessages(1, (f) => f.data.contentType === 'text');
          expect(got!.data).to.include({
            messageId: ack.data.messageId,
            seq: ack.data.seq,
            senderId: users[1]!.userId,
          });
        }
        await sleep(200);
        expect(chat(sockets[1]!), 'the sender has SEND_ACK instead').to.have.length(0);
        // The group's creation is in the conversation as a system message, before the first message.
        const history = await api().ok<{ messages: Array<{ contentType: string; seq: number }> }>(
          'GET',
          `/api/v1/messages/history?sessionId=g_${groupId}&direction=forward`,
          { token: users[2]!.accessToken },
        );
        expect(history.messages[0]!.contentType).to.equal('system');
        expect(history.messages.at(-1)!.seq).to.equal(ack.data.seq);
      } finally {
        await close();
      }
    });

    it('lets only members send, and enforces mute-all and per-member mutes (40115)', async () => {
      const { users, groupId, sockets, close } = await team(3);
      const outsider = await registerUser(api());
      const wsOut = await WsClient.connect(url(), outsider.accessToken);
      try {
        expect((await sendToGroup(wsOut, groupId, 'let me in')).data.code).to.equal(
          ErrorCode.GROUP_NOT_MEMBER,
        );
        expect((await sendToGroup(sockets[0]!, '999999999999', 'x')).data.code).to.equal(
          ErrorCode.GROUP_NOT_FOUND,
        );
        await api().ok('PUT', `/api/v1/groups/${groupId}/settings`, {
          token: users[0]!.accessToken,
          body: { allMuted: true },
        });
        await platform().host.settled();
        expect((await sendToGroup(sockets[1]!, groupId, 'muted?')).data.code).to.equal(ErrorCode.GROUP_MUTED);
        expect((await sendToGroup(sockets[0]!, groupId, 'owner speaks')).type).to.equal('SEND_ACK');
        await api().ok('PUT', `/api/v1/groups/${groupId}/settings`, {
          token: users[0]!.accessToken,
          body: { allMuted: false },
        });
        await api().ok('PUT', `/api/v1/groups/${groupId}/members/${users[2]!.userId}/mute`, {
          token: users[0]!.accessToken,
          body: { seconds: 600 },
        });
        await platform().host.settled();
        expect((await sendToGroup(sockets[1]!, groupId, 'free again')).type).to.equal('SEND_ACK');
        expect((await sendToGroup(sockets[2]!, groupId, 'me?')).data.code).to.equal(ErrorCode.GROUP_MUTED);
      } finally {
        await Promise.all([close(), wsOut.close()]);
      }
    });

    it('counts @me mentions, allows @all to the owner only, and clears them when read', async () => {
      const { users, groupId, sockets, close } = await team(3);
      try {
        const sessionId = `g_${groupId}`;
        const mention = await sendToGroup(sockets[1]!, groupId, 'hey @c', { mentions: [users[2]!.userId] });
        expect(mention.type).to.equal('SEND_ACK');
        const [got] = await sockets[2]!.waitForMessages(1, (f) => f.data.contentType === 'text');
        expect(got!.data.mentions).to.deep.equal([users[2]!.userId]);
        expect((await sendToGroup(sockets[1]!, groupId, '@all', { mentionAll: true })).data.code).to.equal(
          ErrorCode.GROUP_NOT_ADMIN,
        );
        expect((await sendToGroup(sockets[0]!, groupId, '@all hi', { mentionAll: true })).type).to.equal(
          'SEND_ACK',
        );
        await platform().host.settled();
        const session = (token: string) =>
          api().ok<{ mentionUnread: number; unreadCount: number; name: string | null }>(
            'GET',
            `/api/v1/sessions/${sessionId}`,
            { token },
          );
        expect(await session(users[2]!.accessToken)).to.include({ mentionUnread: 2, name: 'team' });
        expect((await session(users[1]!.accessToken)).mentionUnread).to.equal(1);
        await api().ok('POST', '/api/v1/messages/ack', { token: users[2]!.accessToken, body: { sessionId } });
        await platform().host.settled();
        expect(await session(users[2]!.accessToken)).to.include({ mentionUnread: 0, unreadCount: 0 });
      } finally {
        await close();
      }
    });

    it('reports group read receipts to the sender and to members who ask', async () => {
      const { users, groupId, sockets, close } = await team(4);
      const outsider = await registerUser(api());
      try {
        const sent = await sendToGroup(sockets[0]!, groupId, 'read me');
        const { messageId, sessionId } = sent.data;
        await sockets[1]!.waitForMessages(1, (f) => f.data.contentType === 'text');
        await api().ok('POST', '/api/v1/messages/ack', {
          token: users[1]!.accessToken,
          body: { sessionId, messageIds: [messageId] },
        });
        const receipt = await sockets[0]!.next((f) => f.type === 'GROUP_MESSAGE_READ');
        expect(receipt.data).to.include({ messageId, userId: users[1]!.userId, readCount: 1, groupId });
        await api().ok('POST', '/api/v1/messages/ack', { token: users[2]!.accessToken, body: { sessionId } });
        const reads = await api().ok<{
          readCount: number;
          unreadCount: number;
          readMembers: Array<{ userId: string }>;
        }>('GET', `/api/v1/messages/${messageId}/reads?groupId=${groupId}`, { token: users[3]!.accessToken });
        expect(reads).to.include({ readCount: 2, unreadCount: 1 });
        expect(reads.readMembers.map((m) => m.userId).sort()).to.deep.equal(
          [users[1]!.userId, users[2]!.userId].sort(),
        );
        const refused = await api().call('GET', `/api/v1/messages/${messageId}/reads?groupId=${groupId}`, {
          token: outsider.accessToken,
        });
        expect(refused.body.code).to.equal(ErrorCode.GROUP_NOT_MEMBER);
      } finally {
        await close();
      }
    });

    it('lets the sender recall within the window and the owner recall anything', async () => {
      const { users, groupId, sockets, close } = await team(3);
      try {
        const own = await sendToGroup(sockets[1]!, groupId, 'mine');
        const other = await sendToGroup(sockets[2]!, groupId, 'theirs');
        const byMember = await api().call('POST', `/api/v1/messages/${other.data.messageId}/recall`, {
          token: users[1]!.accessToken,
        });
        expect(byMember.body.code).to.equal(ErrorCode.MESSAGE_RECALL_FORBIDDEN);
        await api().ok('POST', `/api/v1/messages/${own.data.messageId}/recall`, {
          token: users[1]!.accessToken,
        });
        await api().ok('POST', `/api/v1/messages/${other.data.messageId}/recall`, {
          token: users[0]!.accessToken,
        });
        for (const ws of sockets) {
          const recalled = async (id: string) =>
            ws.next((f) => f.type === 'MESSAGE_RECALLED' && f.data.messageId === id);
          await recalled(own.data.messageId);
          await recalled(other.data.messageId);
        }
      } finally {
        await close();
      }
    });

    it("lets a group admin recall plain members' messages, not the owner's or another admin's", async () => {
      const { users, groupId, sockets, close } = await team(4);
      try {
        for (const admin of [users[1]!, users[2]!])
          await api().ok('POST', `/api/v1/groups/${groupId}/admins`, {
            token: users[0]!.accessToken,
            body: { userId: admin.userId },
          });
        const byOwner = await sendToGroup(sockets[0]!, groupId, 'owner');
        const byOtherAdmin = await sendToGroup(sockets[2]!, groupId, 'admin');
        const byMember = await sendToGroup(sockets[3]!, groupId, 'member');
        for (const message of [byOwner, byOtherAdmin]) {
          const refused = await api().call('POST', `/api/v1/messages/${message.data.messageId}/recall`, {
            token: users[1]!.accessToken,
          });
          expect(refused.body.code).to.equal(ErrorCode.MESSAGE_RECALL_FORBIDDEN);
        }
        await api().ok('POST', `/api/v1/messages/${byMember.data.messageId}/recall`, {
          token: users[1]!.accessToken,
        });
        await sockets[0]!.next(
          (f) => f.type === 'MESSAGE_RECALLED' && f.data.messageId === byMember.data.messageId,
        );
      } finally {
        await close();
      }
    });

    it('gives a removed member nothing sent after the removal, and no way to read it', async () => {
      const { users, groupId, sockets, close } = await team(4);
      try {
        await api().ok('DELETE', `/api/v1/groups/${groupId}/members/${users[3]!.userId}`, {
          token: users[0]!.accessToken,
        });
        await platform().host.settled();
        await sendToGroup(sockets[1]!, groupId, 'after removal');
        await sockets[2]!.waitForMessages(1, (f) => f.data.content === 'after removal');
        await sleep(300);
        expect(sockets[3]!.messages().some((f: Frame) => f.data.content === 'after removal')).to.equal(false);
        const history = await api().call('GET', `/api/v1/messages/history?sessionId=g_${groupId}`, {
          token: users[3]!.accessToken,
        });
        expect(history.body.code).to.equal(ErrorCode.GROUP_NOT_MEMBER);
        expect((await sendToGroup(sockets[3]!, groupId, 'still here?')).data.code).to.equal(
          ErrorCode.GROUP_NOT_MEMBER,
        );
      } finally {
        await close();
      }
    });

    it('keeps a dismissed group readable for its members, and closed to new messages (40102)', async () => {
      const { users, groupId, sockets, close } = await team(3);
      try {
        await sendToGroup(sockets[1]!, groupId, 'last words');
        await api().ok('DELETE', `/api/v1/groups/${groupId}`, { token: users[0]!.accessToken });
        await platform().host.settled();
        const history = await api().ok<{ messages: Array<{ content: unknown }> }>(
          'GET',
          `/api/v1/messages/history?sessionId=g_${groupId}`,
          { token: users[2]!.accessToken },
        );
        expect(history.messages.map((m) => m.content)).to.deep.include('last words');
        expect((await sendToGroup(sockets[1]!, groupId, 'anyone?')).data.code).to.equal(
          ErrorCode.GROUP_DISMISSED,
        );
      } finally {
        await close();
      }
    });

    it('shows new members history from before they joined only when the group allows it', async () => {
      const { users, groupId, sockets, close } = await team(3);
      const late = await registerUser(api());
      const later = await registerUser(api());
      await befriendAll(api(), users[0]!, [late, later]);
      try {
        await sendToGroup(sockets[0]!, groupId, 'before anyone new');
        await api().ok('PUT', `/api/v1/groups/${groupId}/settings`, {
          token: users[0]!.accessToken,
          body: { historyVisible: false },
        });
        await api().ok('POST', `/api/v1/groups/${groupId}/members`, {
          token: users[0]!.accessToken,
          body: { userIds: [late.userId] },
        });
        await platform().host.settled();
        const texts = async (token: string) =>
          (
            await api().ok<{ messages: Array<{ contentType: string; content: unknown }> }>(
              'GET',
              `/api/v1/messages/history?sessionId=g_${groupId}&limit=100`,
              { token },
            )
          ).messages
            .filter((m) => m.contentType === 'text')
            .map((m) => m.content);
        await sendToGroup(sockets[0]!, groupId, 'welcome');
        expect(await texts(late.accessToken)).to.deep.equal(['welcome']);
        await api().ok('PUT', `/api/v1/groups/${groupId}/settings`, {
          token: users[0]!.accessToken,
          body: { historyVisible: true },
        });
        await api().ok('POST', `/api/v1/groups/${groupId}/members`, {
          token: users[0]!.accessToken,
          body: { userIds: [later.userId] },
        });
        await platform().host.settled();
        expect(await texts(later.accessToken)).to.deep.equal(['welcome', 'before anyone new']);
      } finally {
        await close();
      }
    });
  });
});

describe('a 200-member group over two gateway instances [postgresql]', function () {
  this.timeout(120_000);
  let platform: TestPlatform | undefined;
  let second: Host | undefined;
  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', { RATE_LIMIT_FACTOR: '1000' });
    second = await startExtraGateway(platform, { RATE_LIMIT_FACTOR: '1000' });
  });
  after(async () => {
    await second?.stop();
    await platform?.stop();
  });

  forEachEncoding(() => {
    it('delivers concurrent messages of several senders to every member exactly once, in one order, offline members included', async () => {
      const p = platform!;
      const users: User[] = [];
      for (let i = 0; i < 200; i += 20)
        users.push(...(await Promise.all(Array.from({ length: 20 }, () => registerUser(p.api)))));
      const groupId = await createGroup(p.api, users[0]!, users.slice(1), 'two hundred');
      await p.host.settled();
      // 150 online, alternating between the two gateways; 50 offline until the end.
      const online = await Promise.all(
        users
          .slice(0, 150)
          .map((u, i) => WsClient.connect(i % 2 === 0 ? p.host.url : second!.url, u.accessToken)),
      );
      try {
        const senders = online.slice(0, 5);
        const acks = await Promise.all(
          senders.map(async (ws, s) => {
            const mine: Frame[] = [];
            for (let n = 0; n < 10; n++) mine.push(await sendToGroup(ws, groupId, `s${s}-${n}`));
            return mine;
          }),
        );
        expect(acks.flat().every((f) => f.type === 'SEND_ACK')).to.equal(true);
        const expected = acks
          .flat()
          .sort((a, b) => a.data.seq - b.data.seq)
          .map((f) => f.data.messageId);
        const received = (ws: WsClient) =>
          chat(ws)
            .filter((f) => (f.data.content as string).startsWith('s'))
            .map((f) => f.data.messageId);
        for (const [i, ws] of online.entries()) {
          const own = i < 5 ? acks[i]!.map((f) => f.data.messageId) : [];
          const want = expected.filter((id) => !own.includes(id));
          const deadline = Date.now() + 20_000;
          while (received(ws).length < want.length && Date.now() < deadline) await sleep(50);
          expect(received(ws), `member ${i}`).to.deep.equal(want);
        }
        // The offline members catch up through sync, in the same order.
        const late = await Promise.all(
          users.slice(150).map((u) => WsClient.connect(p.host.url, u.accessToken, { syncSeq: 0 })),
        );
        for (const ws of late) expect(received(ws)).to.deep.equal(expected);
        await Promise.all(late.map((ws) => ws.close()));
      } finally {
        await Promise.all(online.map((ws) => ws.close()));
      }
    });
  });
});
