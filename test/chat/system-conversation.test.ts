import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { loginDevice } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { clientMsgId, type Frame, WsClient } from '../support/ws-client.ts';

interface Listed {
  sessionId: string;
  sessionType: string;
  targetId: string;
  unreadCount: number;
  lastMessage: { senderId: string; contentType: string; preview: string } | null;
}

/**
 * Each user's system conversation (`n_<user id>`, type `system`): the platform's notices (here a
 * new-device sign-in) are messages there, listed with an unread count, synced to every device,
 * read on one device for all of them, and never replied to.
 */
describe('the system conversation [postgresql]', function () {
  this.timeout(90_000);
  let platform: TestPlatform;
  const sockets: WsClient[] = [];

  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql');
  });
  after(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await platform?.stop();
  });

  it('holds a new-device sign-in notice on both devices, read on one for both, and refuses replies', async () => {
    const api = platform.api;
    const user = await registerUser(api);
    const other = await registerUser(api);
    const systemId = `n_${user.userId}`;
    const desktop = await WsClient.connect(platform.host.url, user.accessToken);
    sockets.push(desktop);
    const isNotice = (f: Frame) => f.type === 'NEW_MESSAGE' && f.data.sessionId === systemId;

    // A sign-in on a device the account never used: the system conversation gets a notice.
    const phone = await loginDevice(api, user, 'iOS', `phone-${user.userId}`);
    const notice = await desktop.next(isNotice, 15_000);
    expect(notice.data).to.deep.include({ sessionType: 'system', senderId: '0', contentType: 'system' });
    expect((notice.data.content as { kind: string; text: string }).kind).to.equal('auth.unusual_login');
    expect((notice.data.content as { text: string }).text).to.match(/^New sign-in on iOS/);
    // The phone, connecting from the start of its timeline, gets it too.
    const phoneSocket = await WsClient.connect(platform.host.url, phone.accessToken, { syncSeq: 0 });
    sockets.push(phoneSocket);
    expect(phoneSocket.notices().map((f) => f.data.messageId)).to.deep.equal([notice.data.messageId]);

    const listed = async (token: string) =>
      (await api.ok<{ sessions: Listed[] }>('GET', '/api/v1/sessions', { token })).sessions.find(
        (s) => s.sessionId === systemId,
      );
    for (const token of [user.accessToken, phone.accessToken]) {
      const entry = await eventually('the system conversation is listed', () => listed(token));
      expect(entry).to.deep.include({ sessionType: 'system', targetId: '0', unreadCount: 1 });
      expect(entry.lastMessage).to.deep.include({ senderId: '0', contentType: 'system' });
      expect(entry.lastMessage?.preview).to.match(/^New sign-in on iOS/);
    }
    const history = await api.ok<{ messages: Array<{ messageId: string }> }>(
      'GET',
      `/api/v1/messages/history?sessionId=${systemId}`,
      { token: phone.accessToken },
    );
    expect(history.messages.map((m) => m.messageId)).to.deep.equal([notice.data.messageId]);

    // Read on the phone: the desktop hears of it, and neither list counts it any more.
    const mark = desktop.frames.length;
    await api.ok('POST', '/api/v1/messages/ack', { token: phone.accessToken, body: { sessionId: systemId } });
    await desktop.next((f) => f.type === 'MESSAGE_READ' && f.data.sessionId === systemId, 5000, mark);
    for (const token of [user.accessToken, phone.accessToken])
      await eventually('the unread count is cleared', async () => (await listed(token))?.unreadCount === 0);

    // Nobody replies to it, over HTTP or the socket, and nobody else reads it.
    const sent = await api.call('POST', '/api/v1/messages', {
      token: user.accessToken,
      body: {
        sessionType: 'system',
        targetId: user.userId,
        contentType: 'text',
        content: 'ok',
        clientMsgId: clientMsgId(),
      },
    });
    expect(sent.body.code).to.equal(ErrorCode.MESSAGE_SYSTEM_READ_ONLY);
    expect(sent.status).to.equal(403);
    const msgId = clientMsgId();
    desktop.send({
      type: 'SEND_MESSAGE',
      msgId,
      data: { sessionType: 'system', targetId: user.userId, contentType: 'text', content: 'ok' },
    });
    const refused = await desktop.next((f) => f.type === 'ERROR' && f.msgId === msgId);
    expect(refused.data.code).to.equal(ErrorCode.MESSAGE_SYSTEM_READ_ONLY);
    const foreign = await api.call('GET', `/api/v1/messages/history?sessionId=${systemId}`, {
      token: other.accessToken,
    });
    expect(foreign.body.code).to.equal(ErrorCode.FORBIDDEN);
  });
});
