import { createServer } from 'node:net';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { WEB_CONTENT_SECURITY_POLICY } from '../../services/platform/http/web-client.ts';
import { registerUser } from '../support/api-client.ts';
import { type BrowserUser, browserSuite, openChat, screenshot } from '../support/browser.ts';
import { MailServer } from '../support/mail-server.ts';
import { OpenIdProvider } from '../support/openid-provider.ts';

/**
 * The web client end to end in real Chromium, against the embedded platform serving the built app:
 * three people in three browser contexts register, befriend, chat with receipts, typing, emoji,
 * quotes, an image and a recall, make a group with an @mention, lose the network and come back,
 * and reload, with no console error anywhere.
 */
describe('web client in Chromium: two people chat end to end', function () {
  this.timeout(600_000);
  let mail: MailServer;
  let op: OpenIdProvider;
  const web = browserSuite('chat', {
    env: async () => {
      // Codes by e-mail reach this SMTP server (sign-in with a code).
      mail = await MailServer.start();
      // The provider must know the web client's callback before the platform starts: a port chosen now.
      const port = await freePort();
      const callback = `http://127.0.0.1:${port}/oidc/callback`;
      op = await OpenIdProvider.start({
        clientId: 'anychat',
        clientSecret: 'op-secret',
        redirectUris: [callback],
      });
      return mail.env({
        SMTP_FROM: 'AnyChat <no-reply@anychat.test>',
        AUTH_CODE_RESEND_SECONDS: '0',
        PORT: String(port),
        OIDC_PROVIDERS: JSON.stringify([
          { id: 'test-op', name: 'Test OP', issuer: op.issuer, clientId: 'anychat' },
        ]),
        OIDC_CLIENT_SECRET_TEST_OP: 'op-secret',
        OIDC_REDIRECT_URI: callback,
      });
    },
  });
  let alice: BrowserUser;
  let bob: BrowserUser;
  let carol: BrowserUser;
  const run = Date.now().toString(36);
  const account = (name: string) => `${name}_${run}`;

  before(async () => {
    alice = await web.user('alice');
    bob = await web.user('bob');
    carol = await web.user('carol');
  });
  after(async () => {
    await mail?.close();
    await op?.close();
  });

  const messageTexts = (page: Page) =>
    page.locator('[data-test=messages] [data-test=text]').allTextContents();
  const say = async (user: BrowserUser, text: string) => {
    await user.page.fill('[data-test=composer]', text);
    await user.page.click('[data-test=send]');
  };
  const sees = (user: BrowserUser, text: string) =>
    user.page.locator('[data-test=messages] [data-test=text]', { hasText: text }).first().waitFor();

  it('serves the app with its CSP; each person registers in their own browser', async () => {
    for (const user of [alice, bob, carol]) {
      const response = await user.page.goto('/');
      expect(response?.headers()['content-security-policy']).to.equal(WEB_CONTENT_SECURITY_POLICY);
      await user.page.click('[data-test=switch-mode]');
      await user.page.fill('input[name=account]', account(user.name));
      await user.page.fill('input[name=nickname]', user.name);
      await user.page.fill('input[name=password]', 'Passw0rd!web');
      if (user === alice) await screenshot(user.page, 'register');
      await user.page.click('[data-test=submit]');
      await user.page.locator('[data-test=me]', { hasText: user.name }).waitFor();
      await user.page.locator('[data-test=connection]').waitFor({ state: 'detached' });
    }
  });

  it('finds people and befriends them: requests sent and accepted', async () => {
    await alice.page.click('[data-test=tab-contacts]');
    for (const friend of [bob, carol]) {
      await alice.page.fill('[data-test=search-input]', account(friend.name));
      await alice.page.click('[data-test=search-button]');
      await alice.page.click('[data-test=add-friend]');
      await alice.page.locator('button', { hasText: 'Request sent' }).waitFor();
      await friend.page.click('[data-test=tab-contacts]');
      const request = friend.page.locator('[data-test=friend-request]', { hasText: 'alice' });
      await request.waitFor();
      if (friend === bob) await screenshot(bob.page, 'friend-request');
      await request.locator('[data-test=accept-request]').click();
      await friend.page.locator('[data-test=friend]', { hasText: 'alice' }).waitFor();
    }
    // Presence: alice is online for bob.
    await bob.page.locator('[data-test=friend][data-user] .presence[data-online=true]').first().waitFor();
    await alice.page.locator('[data-test=friend]', { hasText: 'bob' }).waitFor();
    await alice.page.locator('[data-test=friend]', { hasText: 'carol' }).waitFor();
  });

  it('chats both ways with emoji, unread counts, read receipts and typing', async () => {
    await alice.page
      .locator('[data-test=friend]', { hasText: 'bob' })
      .locator('[data-test=chat-with]')
      .click();
    await alice.page.locator('[data-test=chat-title]', { hasText: 'bob' }).waitFor();
    await say(alice, 'hello bob');
    await alice.page.locator('[data-test=pending]').waitFor({ state: 'detached' });

    await bob.page.click('[data-test=tab-chats]');
    const row = bob.page.locator('[data-test=conversations] .conversation', { hasText: 'alice' });
    await row.locator('[data-test=unread]', { hasText: '1' }).waitFor();
    await row.click();
    await sees(bob, 'hello bob');
    // alice's message shows "Read" once bob opened the conversation.
    await alice.page.locator('[data-test=receipt]', { hasText: 'Read' }).waitFor();

    await bob.page.type('[data-test=composer]', 'hi ali', { delay: 30 });
    await alice.page.locator('[data-test=typing]').waitFor();
    await bob.page.type('[data-test=composer]', 'ce ');
    await bob.page.click('[data-test=emoji]');
    await bob.page.locator('[data-test=emoji-picker] button', { hasText: '🎉' }).click();
    await bob.page.click('[data-test=send]');
    await sees(alice, 'hi alice 🎉');
    await bob.page.locator('[data-test=receipt]', { hasText: 'Read' }).waitFor();
  });

  it('replies with a quote', async () => {
    await alice.page
      .locator('[data-test=message]', { hasText: 'hi alice' })
      .locator('[data-test=reply]')
      .click();
    await alice.page.locator('[data-test=reply-bar]').waitFor();
    await say(alice, 'quoting you');
    const quoted = bob.page.locator('[data-test=message]', { hasText: 'quoting you' });
    await quoted.waitFor();
    expect(await quoted.locator('[data-test=quote]').textContent()).to.include('hi alice');
  });

  it('shows a message that looks like HTML as text, and runs nothing from it', async () => {
    const attack = '<img src=x onerror=alert(1)>';
    await say(alice, attack);
    const bubble = bob.page.locator('[data-test=message] [data-test=text]', { hasText: attack });
    await bubble.waitFor();
    expect(await bubble.textContent()).to.equal(attack);
    expect(await bob.page.locator('[data-test=messages] img[src=x]').count()).to.equal(0);
  });

  it('sends an image with upload progress; the other side sees its thumbnail', async () => {
    const png = await sharp({
      create: { width: 640, height: 480, channels: 3, background: { r: 37, g: 99, b: 235 } },
    })
      .png()
      .toBuffer();
    await alice.page.setInputFiles('[data-test=image-input]', {
      name: 'blue.png',
      mimeType: 'image/png',
      buffer: png,
    });
    const thumbnail = bob.page.locator('[data-test=messages] [data-test=thumbnail]').last();
    await thumbnail.waitFor();
    await bob.page.waitForFunction(
      () => {
        const images = document.querySelectorAll<HTMLImageElement>('[data-test=thumbnail]');
        const last = images[images.length - 1];
        return last?.complete && last.naturalWidth > 0;
      },
      undefined,
      { timeout: 20_000 },
    );
    await alice.page.locator('[data-test=messages] [data-test=thumbnail]').last().waitFor();
    await screenshot(bob.page, 'chat');
  });

  it('recalls a message on both sides', async () => {
    await say(alice, 'oops, wrong chat');
    await sees(bob, 'oops, wrong chat');
    await alice.page
      .locator('[data-test=message]', { hasText: 'oops, wrong chat' })
      .locator('[data-test=recall]')
      .click();
    await bob.page.locator('[data-test=recalled]').waitFor();
    await alice.page.locator('[data-test=recalled]').waitFor();
    expect(await messageTexts(bob.page)).not.to.include('oops, wrong chat');
  });

  it('creates a group with a third person and @mentions her', async () => {
    await alice.page.click('[data-test=tab-contacts]');
    await alice.page.click('[data-test=new-group]');
    await alice.page.fill('[data-test=group-name]', 'Trio');
    for (const friend of [bob, carol]) {
      const id = await alice.page
        .locator('[data-test=friend]', { hasText: friend.name })
        .getAttribute('data-user');
      await alice.page.check(`[data-test=group-form] [data-member="${id}"]`);
    }
    await alice.page.click('[data-test=create-group]');
    await alice.page.locator('[data-test=chat-title]', { hasText: 'Trio' }).waitFor();
    await alice.page.fill('[data-test=composer]', 'look @');
    await alice.page.dispatchEvent('[data-test=composer]', 'input');
    await alice.page.locator('[data-test=mention-picker] button', { hasText: 'carol' }).click();
    await alice.page.type('[data-test=composer]', 'this');
    await alice.page.click('[data-test=send]');

    await carol.page.click('[data-test=tab-chats]');
    const row = carol.page.locator('[data-test=conversations] .conversation', { hasText: 'Trio' });
    await row.locator('[data-test=mention-badge]').waitFor();
    await screenshot(carol.page, 'mention');
    await row.click();
    await carol.page.locator('[data-test=message].mentions-me', { hasText: 'look @carol this' }).waitFor();
    await openChat(bob, 'Trio');
    await sees(bob, 'look @carol this');

    // Both opened it: alice's "2 read" opens who read it, by name.
    const mine = alice.page.locator('[data-test=message].mine', { hasText: 'look @carol this' });
    await mine.locator('[data-test=receipt]', { hasText: '2 read' }).click();
    const readers = mine.locator('[data-test=readers] li');
    await readers.first().waitFor();
    expect((await readers.allTextContents()).map((text) => text.trim().split(/\s+/)[0]).sort()).to.deep.equal(
      ['bob', 'carol'],
    );
    await mine.locator('[data-test=receipt]').click();
    await mine.locator('[data-test=readers]').waitFor({ state: 'detached' });
  });

  it('loses the network and comes back with nothing lost or repeated, queued sends included', async () => {
    await openChat(alice, 'bob');
    await openChat(bob, 'alice');
    await bob.context.setOffline(true);
    await bob.page.locator('[data-test=connection]').waitFor();
    // alice sees bob go offline.
    await alice.page.locator('[data-test=peer-presence]', { hasText: 'offline' }).waitFor();
    for (const n of [1, 2, 3]) await say(alice, `while you were away ${n}`);
    await alice.page.locator('[data-test=pending]').waitFor({ state: 'detached' });
    await say(bob, 'written offline');
    await bob.page.locator('[data-test=pending]').waitFor();
    await screenshot(bob.page, 'offline');

    await bob.context.setOffline(false);
    await bob.page.locator('[data-test=connection]').waitFor({ state: 'detached', timeout: 30_000 });
    await sees(bob, 'while you were away 3');
    await bob.page.locator('[data-test=pending]').waitFor({ state: 'detached' });
    await sees(alice, 'written offline');
    const bobSees = await messageTexts(bob.page);
    for (const n of [1, 2, 3])
      expect(bobSees.filter((text) => text === `while you were away ${n}`)).to.have.length(1);
    expect((await messageTexts(alice.page)).filter((text) => text === 'written offline')).to.have.length(1);
  });

  it('reloads and shows the history in order, once', async () => {
    const before = await messageTexts(bob.page);
    await bob.page.reload();
    await openChat(bob, 'alice');
    await sees(bob, 'written offline');
    const after = await messageTexts(bob.page);
    expect(after).to.deep.equal(before);
    expect(after.indexOf('hello bob')).to.be.lessThan(after.indexOf('while you were away 1'));
  });

  it('opened in a second tab, hands the connection over and takes it back', async () => {
    const second = await bob.context.newPage();
    second.on('console', (message) => {
      if (message.type() === 'error') bob.problems.push(`second tab: ${message.text()}`);
    });
    await second.goto('/');
    await second.locator('[data-test=me]', { hasText: 'bob' }).waitFor();
    await bob.page.locator('[data-test=use-here]').waitFor();
    await bob.page.click('[data-test=use-here]');
    await bob.page.locator('[data-test=connection]').waitFor({ state: 'detached' });
    await second.locator('[data-test=use-here]').waitFor();
    await second.close();
    await say(alice, 'back to one tab');
    await sees(bob, 'back to one tab');
  });

  it('signs in with a code sent by e-mail, no password', async () => {
    const email = `dave_${run}@example.com`;
    await web.platform.api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'register' } });
    await registerUser(web.platform.api, { email, nickname: 'dave', verifyCode: mail.codeFor(email) });
    const dave = await web.user('dave');
    await dave.page.goto('/');
    await dave.page.click('[data-test=code-mode]');
    await dave.page.fill('input[name=account]', email);
    await dave.page.click('[data-test=send-code]');
    await dave.page.locator('[data-test=send-code]', { hasText: 'Code sent' }).waitFor();
    await dave.page.fill('input[name=code]', mail.codeFor(email));
    await dave.page.click('[data-test=submit]');
    await dave.page.locator('[data-test=me]', { hasText: 'dave' }).waitFor();
    expect(dave.problems).to.deep.equal([]);
    await dave.context.close();
  });

  it('signs in through an OpenID Provider (first sign-in creates the account)', async () => {
    op.accounts.set('erin-at-op', { email: `erin_${run}@example.com`, email_verified: true, name: 'erin' });
    const erin = await web.user('erin');
    await erin.page.goto('/');
    await erin.page.click('[data-provider=test-op]');
    // The provider's own login and consent pages.
    await erin.page.waitForURL((url) => url.origin === op.issuer);
    await erin.page.fill('input[name=login]', 'erin-at-op');
    await erin.page.fill('input[name=password]', 'any');
    await erin.page.locator('button[type=submit]').first().click();
    await erin.page.locator('button[type=submit]').first().click();
    await erin.page.locator('[data-test=me]').waitFor();
    expect(new URL(erin.page.url()).pathname).to.equal('/');
    expect(erin.problems).to.deep.equal([]);
    await erin.context.close();
  });

  it('switches to Simplified Chinese', async () => {
    await carol.page.click('[data-test=language]');
    await carol.page.locator('[data-test=tab-chats]', { hasText: '会话' }).waitFor();
    await screenshot(carol.page, 'chinese');
    await carol.page.click('[data-test=language]');
  });

  it('renders the API reference at /docs from the served OpenAPI document, under the same CSP', async () => {
    const reader = await web.user('reader');
    const response = await reader.page.goto('/docs');
    expect(response?.headers()['content-security-policy']).to.equal(WEB_CONTENT_SECURITY_POLICY);
    await reader.page.locator('.swagger-ui .info .title', { hasText: 'AnyChat API' }).waitFor();
    await reader.page.locator('.opblock-summary-path', { hasText: '/api/v1/auth/login' }).first().waitFor();
    await screenshot(reader.page, 'docs');
    expect(reader.problems).to.deep.equal([]);
    await reader.context.close();
  });

  it('left no console error, uncaught exception or dialog in any browser', () => {
    for (const user of [alice, bob, carol]) expect(user.problems, user.name).to.deep.equal([]);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
