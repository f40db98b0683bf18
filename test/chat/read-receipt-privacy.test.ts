import { expect } from 'chai';
import { registerUser } from '../support/api-client.ts';
import { befriend, befriendAll, sleep } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId, WsClient } from '../support/ws-client.ts';

interface Reads {
  readCount: number;
  unreadCount: number;
  readMembers: Array<{ userId: string }>;
}

forEachBackend('read receipts follow the privacy setting', (platform) => {
  const api = () => platform().api;
  const url = () => platform().host.url;
  const receiptsOff = (token: string) =>
    api().ok('PUT', '/api/v1/users/settings/privacy', { token, body: { readReceipts: false } });
  const statuses = async (token: string, sessionId: string) =>
    (
      await api().ok<{ messages: Array<{ status: string | null }> }>(
        'GET',
        `/api/v1/messages/history?sessionId=${sessionId}`,
        { token },
      )
    ).messages.map((m) => m.status);

  it('one-to-one: a reader with receipts off sends no MESSAGE_READ, and neither side sees "read"', async () => {
    const a = await registerUser(api());
    const b = await registerUser(api());
    await befriend(api(), a, b);
    const wsA = await WsClient.connect(url(), a.accessToken);
    const wsB = await WsClient.connect(url(), b.accessToken);
    try {
      await receiptsOff(b.accessToken);
      const sent = await wsA.sendMessage(b.userId, 'hidden read');
      const { sessionId, messageId } = sent.data;
      await wsB.waitForMessages(1);
      const mark = wsA.frames.length;
      await api().ok('POST', '/api/v1/messages/ack', {
        token: b.accessToken,
        body: { sessionId, messageIds: [messageId] },
      });
      await platform().host.settled();
      await sleep(300);
      expect(wsA.frames.slice(mark).filter((f) => f.type === 'MESSAGE_READ')).to.deep.equal([]);
      expect(await statuses(a.accessToken, sessionId)).to.not.include('read');

      // b turns them on again: a's next read shows; a with receipts off sees none of b's reads.
      await api().ok('PUT', '/api/v1/users/settings/privacy', {
        token: b.accessToken,
        body: { readReceipts: true },
      });
      const second = await wsA.sendMessage(b.userId, 'shown read');
      await wsB.waitForMessages(2);
      await api().ok('POST', '/api/v1/messages/ack', {
        token: b.accessToken,
        body: { sessionId, messageIds: [second.data.messageId] },
      });
      await wsA.next((f) => f.type === 'MESSAGE_READ', 5000, mark);
      expect(await statuses(a.accessToken, sessionId)).to.deep.equal(['read', 'read']);
      await receiptsOff(a.accessToken);
      expect(await statuses(a.accessToken, sessionId)).to.not.include('read');
    } finally {
      await Promise.all([wsA.close(), wsB.close()]);
    }
  });

  it('groups: a member with receipts off is not reported to the sender nor listed, and sees no readers', async () => {
    const users = await Promise.all([0, 1, 2, 3].map(() => registerUser(api())));
    const [owner, shown, hidden, asker] = users as [
      (typeof users)[0],
      (typeof users)[0],
      (typeof users)[0],
      (typeof users)[0],
    ];
    await befriendAll(api(), owner, [shown, hidden, asker]);
    const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: owner.accessToken,
      body: { name: 'receipts', memberIds: [shown.userId, hidden.userId, asker.userId] },
    });
    const wsOwner = await WsClient.connect(url(), owner.accessToken);
    try {
      await receiptsOff(hidden.accessToken);
      const msgId = clientMsgId();
      wsOwner.send({
        type: 'SEND_MESSAGE',
        msgId,
        data: { sessionType: 'group', targetId: groupId, contentType: 'text', content: 'read me' },
      });
      const ack = await wsOwner.next((f) => f.type === 'SEND_ACK' && f.msgId === msgId);
      const { messageId, sessionId } = ack.data;
      const mark = wsOwner.frames.length;
      await api().ok('POST', '/api/v1/messages/ack', { token: hidden.accessToken, body: { sessionId } });
      await api().ok('POST', '/api/v1/messages/ack', { token: shown.accessToken, body: { sessionId } });
      const receipt = await wsOwner.next((f) => f.type === 'GROUP_MESSAGE_READ', 5000, mark);
      expect(receipt.data).to.include({ userId: shown.userId, readCount: 1 });
      await platform().host.settled();
      await sleep(300);
      expect(
        wsOwner.frames
          .slice(mark)
          .filter((f) => f.type === 'GROUP_MESSAGE_READ' && f.data.userId === hidden.userId),
      ).to.deep.equal([]);
      const reads = (token: string) =>
        api().ok<Reads>('GET', `/api/v1/messages/${messageId}/reads?groupId=${groupId}`, { token });
      const seen = await reads(asker.accessToken);
      expect(seen).to.include({ readCount: 1, unreadCount: 2 });
      expect(seen.readMembers.map((m) => m.userId)).to.deep.equal([shown.userId]);
      expect(await reads(hidden.accessToken)).to.deep.include({ readCount: 0, readMembers: [] });
    } finally {
      await wsOwner.close();
    }
  });
});
