import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { type ApiClient, registerUser } from '../support/api-client.ts';
import { befriendAll, friendsOnline, loginDevice, sleep, type User } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId, type Frame, forEachEncoding, WsClient } from '../support/ws-client.ts';

/** The edit window of this suite: short, so that "after the window" is a short wait. */
const EDIT_WINDOW_SECONDS = 4;

interface HistoryMessage {
  messageId: string;
  content: unknown;
  editedAt?: number;
}

async function createGroup(api: ApiClient, owner: User, members: User[]): Promise<string> {
  await befriendAll(api, owner, members);
  const created = await api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
    token: owner.accessToken,
    body: { name: 'interactions', memberIds: members.map((m) => m.userId) },
  });
  return created.groupId;
}

/** The next frame of `type` (and matching) that arrives after `mark`. */
const nextOf = (ws: WsClient, type: string, mark: number, match: (f: Frame) => boolean = () => true) =>
  ws.next((f) => f.type === type && match(f), 5000, mark);

forEachBackend(
  'message interactions: edits, reactions, pinned messages and threads',
  (platform) => {
    const api = () => platform().api;
    const url = () => platform().host.url;
    const code = async (method: string, path: string, token: string, body?: unknown) =>
      (await api().call(method, path, { token, ...(body === undefined ? {} : { body }) })).body.code;

    /** A user's second device (another device type), connected. */
    async function secondDevice(user: User, deviceId: string) {
      const { accessToken } = await loginDevice(api(), user, 'iOS', deviceId);
      return WsClient.connect(url(), accessToken);
    }

    async function team(size: number) {
      const users = await Promise.all(Array.from({ length: size }, () => registerUser(api())));
      const groupId = await createGroup(api(), users[0]!, users.slice(1));
      const sockets = await Promise.all(users.map((u) => WsClient.connect(url(), u.accessToken)));
      const send = async (from: number, text: string) => {
        const sent = await api().ok<{ messageId: string; sessionId: string; seq: number }>(
          'POST',
          '/api/v1/messages',
          {
            token: users[from]!.accessToken,
            body: {
              clientMsgId: clientMsgId(),
              sessionType: 'group',
              targetId: groupId,
              contentType: 'text',
              content: text,
            },
          },
        );
        return sent;
      };
      return { users, groupId, sockets, send, close: () => Promise.all(sockets.map((s) => s.close())) };
    }

    forEachEncoding(() => {
      it("edits my message for every participant and device, keeps its versions, and refuses others' edits", async () => {
        const { a, b, wsA, wsB } = await friendsOnline(platform());
        const phoneA = await secondDevice(a, `phone-${a.account}`);
        const c = await registerUser(api());
        try {
          const sent = await wsA.sendMessage(b.userId, 'helo');
          const { messageId, sessionId } = sent.data;
          await wsB.waitForMessages(1);
          const marks = [wsA, wsB, phoneA].map((ws) => ws.frames.length);
          const path = `/api/v1/messages/${messageId}`;
          expect(await code('PUT', path, b.accessToken, { text: 'mine now' })).to.equal(
            ErrorCode.MESSAGE_EDIT_FORBIDDEN,
          );
          expect(await code('PUT', path, c.accessToken, { text: 'x' })).to.equal(ErrorCode.MESSAGE_NOT_FOUND);
          expect(await code('PUT', path, a.accessToken, { text: '  ' })).to.equal(ErrorCode.MESSAGE_EMPTY);
          const edited = await api().ok<{ version: number; content: unknown }>('PUT', path, {
            token: a.accessToken,
            body: { text: 'hello' },
          });
          expect(edited).to.include({ version: 1, content: 'hello' });
          for (const [i, ws] of [wsA, wsB, phoneA].entries()) {
            const frame = await nextOf(ws, 'MESSAGE_EDITED', marks[i]!);
            expect(frame.data).to.include({
              messageId,
              sessionId,
              editedBy: a.userId,
              content: 'hello',
              version: 1,
            });
          }
          await api().ok('PUT', path, { token: a.accessToken, body: { text: 'hello!' } });
          const versions = await api().ok<{ versions: Array<{ version: number; content: unknown }> }>(
            'GET',
            `${path}/edits`,
            { token: b.accessToken },
          );
          expect(versions.versions.map((v) => [v.version, v.content])).to.deep.equal([
            [0, 'helo'],
            [1, 'hello'],
            [2, 'hello!'],
          ]);
          expect(await code('GET', `${path}/edits`, c.accessToken)).to.equal(ErrorCode.MESSAGE_NOT_FOUND);
          const history = await api().ok<{ messages: HistoryMessage[] }>(
            'GET',
            `/api/v1/messages/history?sessionId=${sessionId}`,
            { token: b.accessToken },
          );
          expect(history.messages[0]!.content).to.equal('hello!');
          expect(history.messages[0]!.editedAt).to.be.a('number');
          // A device that was away replays the message with its current text, then both edits.
          const replay = await WsClient.connect(url(), b.accessToken, { syncSeq: 0 });
          expect(replay.messages().find((f) => f.data.messageId === messageId)!.data.content).to.equal(
            'hello!',
          );
          const edits = replay.frames.filter((f) => f.type === 'MESSAGE_EDITED');
          expect(edits.map((f) => f.data.version)).to.deep.equal([1, 2]);
          await replay.close();
          // Once recalled, neither editing nor a replay shows the text again.
          await api().ok('POST', `${path}/recall`, { token: a.accessToken });
          expect(await code('PUT', path, a.accessToken, { text: 'again' })).to.equal(
            ErrorCode.MESSAGE_RECALLED,
          );
          const late = await WsClient.connect(url(), b.accessToken, { syncSeq: 0 });
          expect(
            late.frames.filter((f) => f.type === 'MESSAGE_EDITED').map((f) => f.data.content),
          ).to.deep.equal([null, null]);
          await late.close();
        } finally {
          await Promise.all([wsA.close(), wsB.close(), phoneA.close()]);
        }
      });
    });

    it('edits only text and quotes, and only within the edit window (50120 after)', async () => {
      const { a, b, wsA, wsB } = await friendsOnline(platform());
      try {
        const place = await wsA.sendMessage(
          b.userId,
          { latitude: 1, longitude: 2, name: 'here' },
          {
            contentType: 'location',
          },
        );
        expect(
          await code('PUT', `/api/v1/messages/${place.data.messageId}`, a.accessToken, {
            text: 'x',
          }),
        ).to.equal(ErrorCode.MESSAGE_NOT_EDITABLE);
        const text = await wsA.sendMessage(b.userId, 'soon too old');
        await sleep(EDIT_WINDOW_SECONDS * 1000 + 300);
        expect(
          await code('PUT', `/api/v1/messages/${text.data.messageId}`, a.accessToken, {
            text: 'late',
          }),
        ).to.equal(ErrorCode.MESSAGE_EDIT_EXPIRED);
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it('counts emoji reactions per user and tells every member and device; not after leaving the group', async () => {
      const { users, groupId, sockets, send, close } = await team(3);
      const [owner, m1, m2] = users as [User, User, User];
      const phone = await secondDevice(m1, `phone-${m1.account}`);
      try {
        const { messageId } = await send(0, 'react to me');
        const path = `/api/v1/messages/${messageId}/reactions`;
        const marks = [...sockets, phone].map((ws) => ws.frames.length);
        const first = await api().ok<{ count: number; changed: boolean }>('POST', path, {
          token: m1.accessToken,
          body: { emoji: '👍🏽' },
        });
        expect(first).to.include({ count: 1, changed: true });
        for (const [i, ws] of [...sockets, phone].entries()) {
          const frame = await nextOf(ws, 'MESSAGE_REACTION', marks[i]!);
          expect(frame.data).to.include({
            messageId,
            userId: m1.userId,
            emoji: '👍🏽',
            added: true,
            count: 1,
          });
        }
        // Again: nothing changes and nobody is told.
        expect(await api().ok('POST', path, { token: m1.accessToken, body: { emoji: '👍🏽' } })).to.include({
          count: 1,
          changed: false,
        });
        await api().ok('POST', path, { token: m2.accessToken, body: { emoji: '👍🏽' } });
        await api().ok('POST', path, { token: m2.accessToken, body: { emoji: '🎉' } });
        const list = await api().ok<{
          reactions: Array<{ emoji: string; count: number; userIds: string[]; reactedByMe: boolean }>;
        }>('GET', path, { token: m1.accessToken });
        expect(list.reactions).to.deep.equal([
          { emoji: '👍🏽', count: 2, userIds: [m1.userId, m2.userId], reactedByMe: true },
          { emoji: '🎉', count: 1, userIds: [m2.userId], reactedByMe: false },
        ]);
        const mark = phone.frames.length;
        const removed = await api().ok<{ count: number }>(
          'DELETE',
          `${path}?emoji=${encodeURIComponent('👍🏽')}`,
          {
            token: m1.accessToken,
          },
        );
        expect(removed.count).to.equal(1);
        expect((await nextOf(phone, 'MESSAGE_REACTION', mark)).data).to.include({ added: false, count: 1 });
        expect(await code('POST', path, m1.accessToken, { emoji: 'ok' })).to.equal(ErrorCode.INVALID_PARAMS);
        expect(await code('POST', path, m1.accessToken, { emoji: '👍👍' })).to.equal(
          ErrorCode.INVALID_PARAMS,
        );
        const emoji = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊'];
        for (const e of emoji) await api().ok('POST', path, { token: owner.accessToken, body: { emoji: e } });
        expect(await code('POST', path, owner.accessToken, { emoji: '😋' })).to.equal(
          ErrorCode.MESSAGE_REACTION_LIMIT,
        );
        // A device that was away gets every change in order through sync.
        const away = await WsClient.connect(url(), m2.accessToken, { syncSeq: 0 });
        const counts = away.frames
          .filter((f) => f.type === 'MESSAGE_REACTION' && f.data.emoji === '👍🏽')
          .map((f) => [f.data.userId, f.data.added, f.data.count]);
        expect(counts).to.deep.equal([
          [m1.userId, true, 1],
          [m2.userId, true, 2],
          [m1.userId, false, 1],
        ]);
        await away.close();
        await api().ok('POST', `/api/v1/groups/${groupId}/exit`, { token: m2.accessToken });
        expect(await code('POST', path, m2.accessToken, { emoji: '👍' })).to.equal(
          ErrorCode.MESSAGE_NOT_FOUND,
        );
        expect(await code('GET', path, m2.accessToken)).to.equal(ErrorCode.MESSAGE_NOT_FOUND);
      } finally {
        await Promise.all([close(), phone.close()]);
      }
    });

    it('pins messages: in groups only the owner and admins, in one-to-one either side', async () => {
      const { users, groupId, sockets, send, close } = await team(3);
      const [owner, admin, member] = users as [User, User, User];
      const outsider = await registerUser(api());
      try {
        const { messageId, sessionId } = await send(2, 'pin me');
        const path = `/api/v1/messages/${messageId}/pin`;
        expect(await code('POST', path, member.accessToken)).to.equal(ErrorCode.GROUP_NOT_ADMIN);
        expect(await code('POST', path, outsider.accessToken)).to.equal(ErrorCode.MESSAGE_NOT_FOUND);
        await api().ok('POST', `/api/v1/groups/${groupId}/admins`, {
          token: owner.accessToken,
          body: { userId: admin.userId },
        });
        const marks = sockets.map((ws) => ws.frames.length);
        expect(await api().ok('POST', path, { token: admin.accessToken })).to.include({
          pinned: true,
          changed: true,
        });
        for (const [i, ws] of sockets.entries())
          expect((await nextOf(ws, 'MESSAGE_PINNED', marks[i]!)).data).to.include({
            messageId,
            sessionId,
            pinned: true,
            by: admin.userId,
          });
        const pinned = await api().ok<{ pins: Array<{ message: { messageId: string }; pinnedBy: string }> }>(
          'GET',
          `/api/v1/messages/pinned?sessionId=${sessionId}`,
          { token: member.accessToken },
        );
        expect(pinned.pins.map((p) => [p.message.messageId, p.pinnedBy])).to.deep.equal([
          [messageId, admin.userId],
        ]);
        expect(
          await code('GET', `/api/v1/messages/pinned?sessionId=${sessionId}`, outsider.accessToken),
        ).to.not.equal(0);
        expect(await code('DELETE', path, member.accessToken)).to.equal(ErrorCode.GROUP_NOT_ADMIN);
        const mark = sockets[2]!.frames.length;
        await api().ok('DELETE', path, { token: owner.accessToken });
        expect((await nextOf(sockets[2]!, 'MESSAGE_PINNED', mark)).data.pinned).to.equal(false);
        const after = await api().ok<{ pins: unknown[] }>(
          'GET',
          `/api/v1/messages/pinned?sessionId=${sessionId}`,
          {
            token: member.accessToken,
          },
        );
        expect(after.pins).to.have.length(0);

        const { a, b, wsA, wsB } = await friendsOnline(platform());
        try {
          const sent = await wsA.sendMessage(b.userId, 'ours');
          const mark2 = wsA.frames.length;
          await api().ok('POST', `/api/v1/messages/${sent.data.messageId}/pin`, { token: b.accessToken });
          expect((await nextOf(wsA, 'MESSAGE_PINNED', mark2)).data).to.include({
            by: b.userId,
            pinned: true,
          });
          const list = await api().ok<{ pins: unknown[] }>(
            'GET',
            `/api/v1/messages/pinned?sessionId=${sent.data.sessionId}`,
            { token: a.accessToken },
          );
          expect(list.pins).to.have.length(1);
        } finally {
          await Promise.all([wsA.close(), wsB.close()]);
        }
      } finally {
        await close();
      }
    });

    it('keeps threads of replies with their own unread counts, synced to every device', async () => {
      const { users, sockets, send, close } = await team(3);
      const [owner, m1, m2] = users as [User, User, User];
      const ownerPhone = await secondDevice(owner, `phone-${owner.account}`);
      const outsider = await registerUser(api());
      try {
        const root = await send(0, 'discuss here');
        const path = `/api/v1/messages/${root.messageId}/thread`;
        const reply = (user: User, text: string, id = clientMsgId(), to = root.messageId) =>
          api().ok<{ messageId: string; seq: number; rootMessageId: string }>(
            'POST',
            `/api/v1/messages/${to}/thread`,
            { token: user.accessToken, body: { clientMsgId: id, contentType: 'text', content: text } },
          );
        const marks = sockets.map((ws) => ws.frames.length);
        const first = await reply(m1, 'first reply');
        expect(first.rootMessageId).to.equal(root.messageId);
        for (const [i, ws] of sockets.entries()) {
          const update = await nextOf(ws, 'THREAD_UPDATED', marks[i]!);
          expect(update.data).to.include({
            rootMessageId: root.messageId,
            messageId: first.messageId,
            replyCount: 1,
            unreadCount: i === 1 ? 0 : 1,
          });
        }
        // The reply is a message of the group: NEW_MESSAGE to the others.
        await sockets[2]!.waitForMessages(1, (f) => f.data.messageId === first.messageId);
        const retryId = clientMsgId();
        const second = await reply(m2, 'second reply', retryId);
        expect((await reply(m2, 'second reply', retryId)).messageId, 'a retry is the same reply').to.equal(
          second.messageId,
        );
        // A reply to a reply joins the same thread.
        const third = await reply(m1, 'to the second', clientMsgId(), second.messageId);
        expect(third.rootMessageId).to.equal(root.messageId);
        const seen = await api().ok<{
          replyCount: number;
          unreadCount: number;
          replies: Array<{ messageId: string }>;
        }>('GET', path, { token: owner.accessToken });
        expect(seen.replies.map((r) => r.messageId)).to.deep.equal([
          first.messageId,
          second.messageId,
          third.messageId,
        ]);
        expect(seen).to.include({ replyCount: 3, unreadCount: 3 });
        const m2View = await api().ok<{ unreadCount: number }>('GET', path, { token: m2.accessToken });
        expect(m2View.unreadCount, 'replies after my own reply').to.equal(1);
        const threads = await api().ok<{ threads: Array<{ rootMessageId: string; unreadCount: number }> }>(
          'GET',
          `/api/v1/messages/threads?sessionId=${root.sessionId}`,
          { token: owner.accessToken },
        );
        expect(threads.threads).to.have.length(1);
        expect(threads.threads[0]).to.include({
          rootMessageId: root.messageId,
          replyCount: 3,
          unreadCount: 3,
        });
        const mark = ownerPhone.frames.length;
        await api().ok('POST', `${path}/read`, { token: owner.accessToken });
        const read = await nextOf(ownerPhone, 'THREAD_UPDATED', mark, (f) => f.data.messageId === undefined);
        expect(read.data).to.include({ rootMessageId: root.messageId, unreadCount: 0, replyCount: 3 });
        expect(
          (await api().ok<{ unreadCount: number }>('GET', path, { token: owner.accessToken })).unreadCount,
        ).to.equal(0);
        expect(await code('GET', path, outsider.accessToken)).to.equal(ErrorCode.MESSAGE_NOT_FOUND);
        expect(
          await code('POST', path, outsider.accessToken, {
            clientMsgId: clientMsgId(),
            contentType: 'text',
            content: 'x',
          }),
        ).to.equal(ErrorCode.MESSAGE_NOT_FOUND);
      } finally {
        await Promise.all([close(), ownerPhone.close()]);
      }
    });
  },
  { MESSAGE_EDIT_WINDOW_SECONDS: String(EDIT_WINDOW_SECONDS) },
);
