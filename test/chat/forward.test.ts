import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { uploadSimple } from '../file/files-client.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId, WsClient } from '../support/ws-client.ts';

interface Ack {
  messageId: string;
  sessionId: string;
  seq: number;
}
interface MergedContent {
  title: string;
  items: Array<{ senderId: string; preview: string }>;
}
interface ForwardAnswer {
  results: Array<{ sessionType: string; targetId: string; messages: Ack[]; error?: { code: number } }>;
}

forEachBackend('forwarding messages server-side', (platform) => {
  const api = () => platform().api;
  const url = () => platform().host.url;

  /** b sends a text and an uploaded file to a; a is also friends with c. */
  async function setUp() {
    const [a, b, c] = [await registerUser(api()), await registerUser(api()), await registerUser(api())];
    await befriend(api(), a, b);
    await befriend(api(), a, c);
    const file = await uploadSimple(api(), b.accessToken, 'chat_file', {
      bytes: Buffer.from('the minutes of the meeting'),
      name: 'minutes.txt',
    });
    expect(file.status).to.equal(200);
    const { fileId } = file.body.data;
    const send = (contentType: string, content: unknown) =>
      api().ok<Ack>('POST', '/api/v1/messages', {
        token: b.accessToken,
        body: { clientMsgId: clientMsgId(), sessionType: 'single', targetId: a.userId, contentType, content },
      });
    const text = await send('text', 'see the minutes');
    const attached = await send('file', { fileId });
    return { a, b, c, fileId, text, attached };
  }

  it('sends messages again to several conversations, the file by reference, once per request id', async () => {
    const { a, b, c, fileId, text, attached } = await setUp();
    const wsC = await WsClient.connect(url(), c.accessToken);
    try {
      // c cannot see b's file before anything is forwarded to them.
      const before = await api().call('GET', `/api/v1/files/${fileId}`, { token: c.accessToken });
      expect(before.body.code).to.equal(ErrorCode.FILE_NOT_FOUND);
      const body = {
        clientMsgId: clientMsgId(),
        // Out of order on purpose: they are sent in the order they were written.
        messageIds: [attached.messageId, text.messageId],
        targets: [
          { sessionType: 'single', targetId: c.userId },
          { sessionType: 'single', targetId: b.userId },
        ],
      };
      const answer = await api().ok<ForwardAnswer>('POST', '/api/v1/messages/forward', {
        token: a.accessToken,
        body,
      });
      expect(answer.results.map((r) => [r.targetId, r.messages.length, r.error])).to.deep.equal([
        [c.userId, 2, undefined],
        [b.userId, 2, undefined],
      ]);
      const [first, second] = await wsC.waitForMessages(2);
      expect(first!.data).to.include({ senderId: a.userId, contentType: 'text', content: 'see the minutes' });
      expect(second!.data).to.include({ senderId: a.userId, contentType: 'file' });
      expect(second!.data.content).to.include({ fileId, fileName: 'minutes.txt' });
      // The same file, now readable by c: nothing was uploaded again.
      const after = await api().ok<{ fileId: string }>('GET', `/api/v1/files/${fileId}`, {
        token: c.accessToken,
      });
      expect(after.fileId).to.equal(fileId);
      // A retry of the request sends nothing twice.
      const again = await api().ok<ForwardAnswer>('POST', '/api/v1/messages/forward', {
        token: a.accessToken,
        body,
      });
      expect(again.results[0]!.messages.map((m) => m.messageId)).to.deep.equal(
        answer.results[0]!.messages.map((m) => m.messageId),
      );
      const history = await api().ok<{ messages: unknown[] }>(
        'GET',
        `/api/v1/messages/history?sessionId=${answer.results[0]!.messages[0]!.sessionId}`,
        { token: c.accessToken },
      );
      expect(history.messages).to.have.length(2);
    } finally {
      await wsC.close();
    }
  });

  it('merges messages into one chat-history message', async () => {
    const { a, b, c, text, attached } = await setUp();
    const answer = await api().ok<ForwardAnswer>('POST', '/api/v1/messages/forward', {
      token: a.accessToken,
      body: {
        clientMsgId: clientMsgId(),
        messageIds: [text.messageId, attached.messageId],
        targets: [{ sessionType: 'single', targetId: c.userId }],
        mode: 'merged',
        title: 'From b',
      },
    });
    const [sent] = answer.results[0]!.messages;
    const history = await api().ok<{ messages: Array<{ contentType: string; content: MergedContent }> }>(
      'GET',
      `/api/v1/messages/history?sessionId=${sent!.sessionId}`,
      { token: c.accessToken },
    );
    expect(history.messages).to.have.length(1);
    const [merged] = history.messages;
    expect(merged!.contentType).to.equal('merged');
    expect(merged!.content.title).to.equal('From b');
    expect(merged!.content.items.map((i) => [i.senderId, i.preview])).to.deep.equal([
      [b.userId, 'see the minutes'],
      [b.userId, '[file] minutes.txt'],
    ]);
  });

  it('refuses what the forwarder cannot see, recalled messages, and targets they may not write to', async () => {
    const { a, b, text } = await setUp();
    const stranger = await registerUser(api());
    const forward = (token: string, messageIds: string[], targetId: string) =>
      api().call<ForwardAnswer>('POST', '/api/v1/messages/forward', {
        token,
        body: { clientMsgId: clientMsgId(), messageIds, targets: [{ sessionType: 'single', targetId }] },
      });
    // Someone outside the conversation learns nothing of the message.
    const unseen = await forward(stranger.accessToken, [text.messageId], a.userId);
    expect(unseen.status).to.equal(404);
    expect(unseen.body.code).to.equal(ErrorCode.MESSAGE_NOT_FOUND);
    // a may not write to a stranger: that target reports why, nothing is sent.
    const refused = await forward(a.accessToken, [text.messageId], stranger.userId);
    expect(refused.status).to.equal(200);
    expect(refused.body.data.results[0]!.error!.code).to.equal(ErrorCode.MESSAGE_NOT_FRIEND);
    expect(refused.body.data.results[0]!.messages).to.have.length(0);
    // A recalled message is not forwarded.
    await api().ok('POST', `/api/v1/messages/${text.messageId}/recall`, { token: b.accessToken });
    const recalled = await forward(a.accessToken, [text.messageId], b.userId);
    expect(recalled.body.code).to.equal(ErrorCode.MESSAGE_RECALLED);
    // Limits are checked before anything is sent.
    const tooMany = await api().call('POST', '/api/v1/messages/forward', {
      token: a.accessToken,
      body: {
        clientMsgId: clientMsgId(),
        messageIds: [],
        targets: [{ sessionType: 'single', targetId: b.userId }],
      },
    });
    expect(tooMany.body.code).to.equal(ErrorCode.INVALID_PARAMS);
  });
});
