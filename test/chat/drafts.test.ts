import { expect } from 'chai';
import { singleSessionId } from '../../services/platform/contracts/index.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend, loginDevice } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId, forEachEncoding, WsClient } from '../support/ws-client.ts';

interface Draft {
  sessionId: string;
  text: string;
  quoteMessageId: string | null;
  updatedAt: number;
}

forEachBackend('drafts synced across devices', (platform) => {
  const api = () => platform().api;
  const url = () => platform().host.url;

  forEachEncoding(() => {
    it('gives a draft saved on one device to the others, live and through sync, and clears it', async () => {
      const a = await registerUser(api());
      const b = await registerUser(api());
      await befriend(api(), a, b);
      const phone = await loginDevice(api(), a, 'iOS', `ios-${a.account}`);
      const sessionId = singleSessionId(a.userId, b.userId);
      const quoted = await api().ok<{ messageId: string }>('POST', '/api/v1/messages', {
        token: b.accessToken,
        body: {
          clientMsgId: clientMsgId(),
          sessionType: 'single',
          targetId: a.userId,
          contentType: 'text',
          content: 'lunch?',
        },
      });
      const wsPhone = await WsClient.connect(url(), phone.accessToken);
      const offlineFrom = wsPhone.syncSeq;
      const wsWeb = await WsClient.connect(url(), a.accessToken);
      try {
        const saved = await api().ok<Draft>('PUT', `/api/v1/messages/drafts/${sessionId}`, {
          token: a.accessToken,
          body: { text: 'sure, at one', quoteMessageId: quoted.messageId },
        });
        expect(saved).to.include({ sessionId, text: 'sure, at one', quoteMessageId: quoted.messageId });
        const live = await wsPhone.next((f) => f.type === 'DRAFT_UPDATED');
        expect(live.data).to.include({
          sessionId,
          text: 'sure, at one',
          quoteMessageId: quoted.messageId,
          originDeviceId: `web-${a.account}`,
        });
        // The device that saved it hears it too: every device holds the same timeline.
        await wsWeb.next((f) => f.type === 'DRAFT_UPDATED');
        const listed = await api().ok<{ drafts: Draft[] }>('GET', '/api/v1/messages/drafts', {
          token: phone.accessToken,
        });
        expect(listed.drafts.map((d) => [d.sessionId, d.text])).to.deep.equal([[sessionId, 'sure, at one']]);
        // b sees nothing of a's drafts.
        const theirs = await api().ok<{ drafts: Draft[] }>('GET', '/api/v1/messages/drafts', {
          token: b.accessToken,
        });
        expect(theirs.drafts).to.have.length(0);

        await api().ok('DELETE', `/api/v1/messages/drafts/${sessionId}`, { token: phone.accessToken });
        const cleared = await wsWeb.next((f) => f.type === 'DRAFT_UPDATED' && f.data.text === null);
        expect(cleared.data).to.include({
          sessionId,
          quoteMessageId: null,
          originDeviceId: `ios-${a.account}`,
        });
        expect(
          (await api().ok<{ drafts: Draft[] }>('GET', '/api/v1/messages/drafts', { token: a.accessToken }))
            .drafts,
        ).to.have.length(0);

        // A device that was away replays both changes in order.
        await wsPhone.close();
        const back = await WsClient.connect(url(), phone.accessToken, { syncSeq: offlineFrom });
        const replayed = back.frames.filter((f) => f.type === 'DRAFT_UPDATED').map((f) => f.data.text);
        expect(replayed).to.deep.equal(['sure, at one', null]);
        await back.close();
      } finally {
        await Promise.all([wsPhone.close(), wsWeb.close()]);
      }
    });
  });

  it('keeps drafts only for conversations I am in, quoting only their messages', async () => {
    const a = await registerUser(api());
    const b = await registerUser(api());
    const c = await registerUser(api());
    await befriend(api(), b, c);
    const elsewhere = await api().ok<{ messageId: string; sessionId: string }>('POST', '/api/v1/messages', {
      token: b.accessToken,
      body: {
        clientMsgId: clientMsgId(),
        sessionType: 'single',
        targetId: c.userId,
        contentType: 'text',
        content: 'private',
      },
    });
    // a is not in b and c's conversation.
    const foreign = await api().call('PUT', `/api/v1/messages/drafts/${elsewhere.sessionId}`, {
      token: a.accessToken,
      body: { text: 'sneaky' },
    });
    expect(foreign.status).to.equal(403);
    expect(foreign.body.code).to.equal(ErrorCode.FORBIDDEN);
    const notMember = await api().call('PUT', '/api/v1/messages/drafts/g_123456789', {
      token: a.accessToken,
      body: { text: 'hello group' },
    });
    expect(notMember.status).to.be.oneOf([403, 404]);
    // Quoting a message of another conversation (one a cannot even see) is refused.
    const mine = singleSessionId(a.userId, b.userId);
    const quote = await api().call('PUT', `/api/v1/messages/drafts/${mine}`, {
      token: a.accessToken,
      body: { text: 'look', quoteMessageId: elsewhere.messageId },
    });
    expect(quote.body.code).to.equal(ErrorCode.MESSAGE_NOT_FOUND);
    const empty = await api().call('PUT', `/api/v1/messages/drafts/${mine}`, {
      token: a.accessToken,
      body: {},
    });
    expect(empty.body.code).to.equal(ErrorCode.INVALID_PARAMS);
    const badId = await api().call('PUT', '/api/v1/messages/drafts/nonsense', {
      token: a.accessToken,
      body: { text: 'x' },
    });
    expect(badId.body.code).to.equal(ErrorCode.INVALID_PARAMS);
  });
});
