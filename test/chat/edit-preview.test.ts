import { expect } from 'chai';
import { sendText } from '../push/support.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, sleep } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { nextEvent } from '../support/topic-probe.ts';

interface Listed {
  sessionId: string;
  lastMessage: { messageId: string; preview: string } | null;
}

/**
 * An edit of a conversation's last message changes the preview on every participant's list (the
 * session service's projection of `message.created`, fed `message.edited` too); an edit of an
 * older message leaves the preview of the newer one.
 */
describe('edits in conversation-list previews [postgresql]', function () {
  this.timeout(90_000);
  let platform: TestPlatform;

  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql');
  });
  after(async () => {
    await platform?.stop();
  });

  it('shows the edited text as the last message on both sides, and only for the last message', async () => {
    const api = platform.api;
    const [a, b] = [await registerUser(api), await registerUser(api)];
    await befriend(api, a, b);
    const preview = async (token: string, sessionId: string) => {
      const { sessions } = await api.ok<{ sessions: Listed[] }>('GET', '/api/v1/sessions', { token });
      return sessions.find((s) => s.sessionId === sessionId)?.lastMessage?.preview;
    };
    const first = await sendText(api, a, { sessionType: 'single', targetId: b.userId }, 'helo');
    const { sessionId } = first;
    await eventually(
      'both lists show the message',
      async () =>
        (await preview(a.accessToken, sessionId)) === 'helo' &&
        (await preview(b.accessToken, sessionId)) === 'helo',
    );

    await api.ok('PUT', `/api/v1/messages/${first.messageId}`, {
      token: a.accessToken,
      body: { text: 'hello' },
    });
    await api.ok('PUT', `/api/v1/messages/${first.messageId}`, {
      token: a.accessToken,
      body: { text: 'hello!' },
    });
    await eventually(
      'both lists show the latest edit',
      async () =>
        (await preview(a.accessToken, sessionId)) === 'hello!' &&
        (await preview(b.accessToken, sessionId)) === 'hello!',
    );

    // The message is no longer the last one: editing it leaves the newer preview alone.
    await sendText(api, b, { sessionType: 'single', targetId: a.userId }, 'hi there');
    await eventually(
      'the reply is the preview',
      async () => (await preview(a.accessToken, sessionId)) === 'hi there',
    );
    const edited = nextEvent(
      platform,
      'message.edited',
      (e) => e.messageId === first.messageId && e.version === 3,
    );
    await api.ok('PUT', `/api/v1/messages/${first.messageId}`, {
      token: a.accessToken,
      body: { text: 'hey' },
    });
    await edited;
    // The session service got the same event; a moment for its handler to have run.
    await sleep(1000);
    expect(await preview(a.accessToken, sessionId)).to.equal('hi there');
    expect(await preview(b.accessToken, sessionId)).to.equal('hi there');
  });
});
