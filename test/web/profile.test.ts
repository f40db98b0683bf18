import { expect } from 'chai';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { registerUser, type SignedIn } from '../support/api-client.ts';
import { type BrowserUser, browserSuite, screenshot } from '../support/browser.ts';

type Account = SignedIn & { account: string; password: string };

/**
 * The web client's profile, settings, devices, contact extras and conversation controls in real
 * Chromium against the embedded platform: alice edits her profile and avatar and bob sees them, she
 * names bob by a remark, pins and mutes conversations, keeps do-not-disturb hours across a reload,
 * signs her other browsers out from the devices list, blocks bob (whose send is refused where he
 * sees it) and switches the screens to Chinese, with no console error anywhere.
 */
describe('web client in Chromium: profile, settings, devices, contacts and conversation controls', function () {
  this.timeout(600_000);
  // Several browsers of one person at once: each shows in the devices list until signed out.
  const web = browserSuite('profile', { env: () => ({ AUTH_MULTI_DEVICE_POLICY: 'multi' }) });
  let alice: BrowserUser;
  let bob: BrowserUser;
  let aliceApi: Account;
  let bobApi: Account;
  let carolApi: Account;
  const run = Date.now().toString(36);
  const password = 'Passw0rd!web';

  const api = <T>(method: string, path: string, token: string, body?: unknown) =>
    web.platform.api.ok<T>(method, path, { token, ...(body === undefined ? {} : { body }) });

  async function befriend(from: Account, to: Account) {
    const sent = await api<{ requestId: string; status: string }>(
      'POST',
      '/api/v1/friends/requests',
      from.accessToken,
      {
        userId: to.userId,
      },
    );
    if (sent.status === 'pending')
      await api('PUT', `/api/v1/friends/requests/${sent.requestId}`, to.accessToken, { action: 'accept' });
  }

  const sendText = (from: Account, to: Account, text: string) =>
    api('POST', '/api/v1/messages', from.accessToken, {
      clientMsgId: crypto.randomUUID(),
      sessionType: 'single',
      targetId: to.userId,
      contentType: 'text',
      content: text,
    });

  async function signIn(user: BrowserUser, account: string) {
    await user.page.goto('/');
    await user.page.fill('input[name=account]', account);
    await user.page.fill('input[name=password]', password);
    await user.page.click('[data-test=submit]');
    await user.page.locator('[data-test=app]').waitFor();
    await user.page.locator('[data-test=connection]').waitFor({ state: 'detached' });
  }

  const rowNames = (page: Page) =>
    page
      .locator('[data-test=conversations] .conversation .name')
      .evaluateAll((names) => names.map((name) => name.textContent?.trim() ?? ''));
  const firstRowIs = (page: Page, name: string) =>
    page.waitForFunction(
      (prefix) =>
        document
          .querySelector('[data-test=conversations] .conversation .name')
          ?.textContent?.trim()
          .startsWith(prefix) === true,
      name,
    );
  const row = (page: Page, name: string) =>
    page.locator('[data-test=conversations] .conversation', { hasText: name });
  const openChat = async (user: BrowserUser, name: string) => {
    await user.page.click('[data-test=tab-chats]');
    await row(user.page, name).click();
    await user.page.locator('[data-test=chat-title]', { hasText: name }).waitFor();
  };
  const say = async (user: BrowserUser, text: string) => {
    await user.page.fill('[data-test=composer]', text);
    await user.page.click('[data-test=send]');
  };
  const friendRow = (page: Page, userId: string) => page.locator(`[data-test=friend][data-user="${userId}"]`);
  const imageLoaded = (page: Page, selector: string) =>
    page.waitForFunction(
      (css) => {
        const image = document.querySelector<HTMLImageElement>(css);
        return image?.complete === true && image.naturalWidth > 0;
      },
      selector,
      { timeout: 20_000 },
    );
  const openPanel = async (page: Page, tab: 'profile' | 'settings' | 'devices') => {
    if ((await page.locator('[data-test=profile-panel]').count()) === 0)
      await page.click('[data-test=open-profile]');
    await page.click(`[data-test=panel-${tab}]`);
  };

  before(async () => {
    const register = (name: string) =>
      registerUser(web.platform.api, { account: `${name}_${run}`, password, nickname: name });
    aliceApi = await register('alice');
    bobApi = await register('bob');
    carolApi = await register('carol');
    await befriend(aliceApi, bobApi);
    await befriend(aliceApi, carolApi);
    // alice's list: bob's conversation, then carol's (newer, with a message).
    await api('POST', '/api/v1/sessions', aliceApi.accessToken, {
      sessionType: 'single',
      targetId: bobApi.userId,
    });
    await sendText(bobApi, aliceApi, 'hi from bob');
    await sendText(carolApi, aliceApi, 'hi from carol');
    alice = await web.user('alice');
    bob = await web.user('bob');
  });

  it('signs both people in', async () => {
    await signIn(alice, aliceApi.account);
    await signIn(bob, bobApi.account);
    await alice.page.locator('[data-test=me]', { hasText: 'alice' }).waitFor();
  });

  it('edits the profile and avatar; the friend sees the new nickname and avatar', async () => {
    await openPanel(alice.page, 'profile');
    await alice.page.fill('[data-test=profile-nickname]', 'Alice Liddell');
    await alice.page.fill('[data-test=profile-signature]', 'Curiouser and curiouser');
    await alice.page.selectOption('[data-test=profile-gender]', '2');
    await alice.page.fill('[data-test=profile-birthday]', '1990-05-04');
    await alice.page.fill('[data-test=profile-region]', 'Oxford');
    await alice.page.click('[data-test=profile-save]');
    await alice.page.locator('[data-test=profile-saved]').waitFor();
    await alice.page.locator('[data-test=me]', { hasText: 'Alice Liddell' }).waitFor();

    const png = await sharp({
      create: { width: 256, height: 256, channels: 3, background: { r: 220, g: 38, b: 38 } },
    })
      .png()
      .toBuffer();
    await alice.page.setInputFiles('[data-test=avatar-input]', {
      name: 'me.png',
      mimeType: 'image/png',
      buffer: png,
    });
    await imageLoaded(alice.page, '.me [data-test=avatar-image]');
    await imageLoaded(alice.page, '[data-test=profile-form] [data-test=avatar-image]');
    await screenshot(alice.page, 'profile');

    const stored = await api<{
      nickname: string;
      avatar: string;
      gender: number;
      birthday: string;
      signature: string;
    }>('GET', '/api/v1/users/me', aliceApi.accessToken);
    expect(stored).to.include({
      nickname: 'Alice Liddell',
      gender: 2,
      birthday: '1990-05-04',
      signature: 'Curiouser and curiouser',
    });
    const fileId = stored.avatar.match(/\/api\/v1\/files\/(\d+)$/)?.[1];
    expect(fileId, stored.avatar).to.be.a('string');

    // bob: the friend list follows alice's profile (friend.* notice), avatar included.
    await bob.page.click('[data-test=tab-contacts]');
    const aliceRow = friendRow(bob.page, aliceApi.userId);
    await aliceRow.locator('[data-test=friend-name]', { hasText: 'Alice Liddell' }).waitFor();
    await aliceRow.locator(`[data-test=avatar][data-file="${fileId}"]`).waitFor();
    await imageLoaded(
      bob.page,
      `[data-test=friend][data-user="${aliceApi.userId}"] [data-test=avatar-image]`,
    );
    await bob.page.click('[data-test=tab-chats]');
    await row(bob.page, 'Alice Liddell').waitFor();
    await screenshot(bob.page, 'profile-friend-sees');
  });

  it('shows a remark instead of the nickname, in contacts and in the conversation list', async () => {
    await alice.page.click('[data-test=close-panel]');
    await alice.page.click('[data-test=tab-contacts]');
    const bobRow = friendRow(alice.page, bobApi.userId);
    await bobRow.locator('[data-test=friend-more]').click();
    await alice.page.fill('[data-test=remark-input]', 'Bobby');
    await alice.page.click('[data-test=remark-save]');
    await bobRow.locator('[data-test=friend-name]', { hasText: 'Bobby' }).waitFor();
    await screenshot(alice.page, 'contacts-remark');
    await alice.page.click('[data-test=tab-chats]');
    await row(alice.page, 'Bobby').waitFor();
    expect(await rowNames(alice.page)).not.to.include('bob');
  });

  it('files a friend under a new category and filters the list by it', async () => {
    await alice.page.click('[data-test=tab-contacts]');
    await alice.page.click('[data-test=new-category]');
    await alice.page.fill('[data-test=category-name]', 'Family');
    await alice.page.click('[data-test=create-category]');
    const option = alice.page.locator('[data-test=category-filter] option', { hasText: 'Family (0)' });
    await option.waitFor({ state: 'attached' });
    const categoryId = (await option.getAttribute('value')) ?? '';
    const carolRow = friendRow(alice.page, carolApi.userId);
    await carolRow.locator('[data-test=friend-more]').click();
    await alice.page.selectOption('[data-test=friend-extras] [data-test=friend-category]', categoryId);
    await alice.page
      .locator('[data-test=category-filter] option', { hasText: 'Family (1)' })
      .waitFor({ state: 'attached' });
    await alice.page.selectOption('[data-test=category-filter]', categoryId);
    await friendRow(alice.page, bobApi.userId).waitFor({ state: 'detached' });
    await carolRow.waitFor();
    await screenshot(alice.page, 'contacts-category');
    await alice.page.selectOption('[data-test=category-filter]', 'all');
    await friendRow(alice.page, bobApi.userId).waitFor();
    await alice.page.click('[data-test=tab-chats]');
  });

  it('pins a conversation first and mutes another (its unread count in grey, a muted icon)', async () => {
    // carol's message is newer: her conversation comes before bob's until his is pinned.
    const before = await rowNames(alice.page);
    expect(before.findIndex((name) => name.startsWith('carol'))).to.be.lessThan(
      before.findIndex((name) => name.startsWith('Bobby')),
    );
    await openChat(alice, 'Bobby');
    await alice.page.click('[data-test=pin]');
    await row(alice.page, 'Bobby').locator('[data-test=pinned-icon]').waitFor();
    await firstRowIs(alice.page, 'Bobby');

    await openChat(alice, 'carol');
    await alice.page.click('[data-test=mute]');
    await row(alice.page, 'carol').locator('[data-test=muted-icon]').waitFor();
    await openChat(alice, 'Bobby');
    await sendText(carolApi, aliceApi, 'are you there?');
    await sendText(bobApi, aliceApi, 'ping');
    const carolBadge = row(alice.page, 'carol').locator('[data-test=unread]');
    await carolBadge.waitFor();
    expect(await carolBadge.getAttribute('class')).to.include('quiet');
    // Pinned stays first although carol's message is newer.
    await firstRowIs(alice.page, 'Bobby');
    await screenshot(alice.page, 'conversations-pinned-muted');

    const { sessions } = await api<{
      sessions: Array<{ targetId: string; isPinned: boolean; isMuted: boolean }>;
    }>('GET', '/api/v1/sessions', aliceApi.accessToken);
    expect(sessions.find((s) => s.targetId === bobApi.userId)?.isPinned).to.equal(true);
    expect(sessions.find((s) => s.targetId === carolApi.userId)?.isMuted).to.equal(true);
  });

  it('sets do-not-disturb hours, kept across a reload', async () => {
    await openPanel(alice.page, 'settings');
    await alice.page.check('[data-test=dnd-enabled]');
    await alice.page.fill('[data-test=dnd-start]', '22:30');
    await alice.page.fill('[data-test=dnd-end]', '07:15');
    await alice.page.click('[data-test=dnd-save]');
    await alice.page.locator('[data-test=dnd-current]', { hasText: '22:30–07:15' }).waitFor();
    await alice.page.uncheck('[data-test=push-preview]');
    await alice.page.locator('[data-test=settings-saved][data-what=pushPreview]').waitFor();
    await alice.page.selectOption('[data-test=privacy-addMe]', 'friends_of_friends');
    await alice.page.locator('[data-test=settings-saved][data-what=addMe]').waitFor();
    await screenshot(alice.page, 'settings');

    await alice.page.reload();
    await alice.page.locator('[data-test=app]').waitFor();
    await openPanel(alice.page, 'settings');
    await alice.page.locator('[data-test=dnd-current]', { hasText: '22:30–07:15' }).waitFor();
    expect(await alice.page.isChecked('[data-test=dnd-enabled]')).to.equal(true);
    expect(await alice.page.inputValue('[data-test=dnd-start]')).to.equal('22:30');
    expect(await alice.page.isChecked('[data-test=push-preview]')).to.equal(false);
    expect(await alice.page.inputValue('[data-test=privacy-addMe]')).to.equal('friends_of_friends');

    const settings = await api<{ dndStart: string; dndEnd: string; pushPreview: boolean }>(
      'GET',
      '/api/v1/users/settings',
      aliceApi.accessToken,
    );
    expect(settings).to.include({ dndStart: '22:30', dndEnd: '07:15', pushPreview: false });
    const privacy = await api<{ addMe: string }>(
      'GET',
      '/api/v1/users/settings/privacy',
      aliceApi.accessToken,
    );
    expect(privacy.addMe).to.equal('friends_of_friends');
  });

  it('lists my devices (this one marked) and signs another browser out, which lands on sign-in', async () => {
    const second = await web.user('alice-second');
    await signIn(second, aliceApi.account);
    const secondDevice = await second.page.evaluate(() => localStorage.getItem('anychat.deviceId'));
    const thisDevice = await alice.page.evaluate(() => localStorage.getItem('anychat.deviceId'));

    await openPanel(alice.page, 'devices');
    const current = alice.page.locator('[data-test=device][data-current=true]');
    await current.locator('[data-test=current-device]').waitFor();
    expect(await current.getAttribute('data-device')).to.equal(thisDevice);
    expect(await current.locator('[data-test=sign-out-device]').count()).to.equal(0);
    const secondRow = alice.page.locator(`[data-test=device][data-device="${secondDevice}"]`);
    await secondRow.waitFor();
    expect(await secondRow.getAttribute('data-signed-in')).to.equal('true');
    await screenshot(alice.page, 'devices');

    await secondRow.locator('[data-test=sign-out-device]').click();
    await second.page.locator('[data-test=login-form]').waitFor();
    await alice.page
      .locator(`[data-test=device][data-device="${secondDevice}"][data-signed-in=false]`)
      .waitFor();
    await screenshot(second.page, 'signed-out-device');
  });

  it('signs out all other devices at once', async () => {
    const third = await web.user('alice-third');
    await signIn(third, aliceApi.account);
    // The list is read when the tab opens.
    await openPanel(alice.page, 'profile');
    await openPanel(alice.page, 'devices');
    await alice.page.click('[data-test=sign-out-others]');
    await third.page.locator('[data-test=login-form]').waitFor();
    await alice.page.locator('[data-test=sign-out-others]').waitFor({ state: 'detached' });
    expect(
      await alice.page.locator('[data-test=device][data-signed-in=true]').evaluateAll((rows) => rows.length),
    ).to.equal(1);
    // This browser is still signed in and working.
    await alice.page.click('[data-test=close-panel]');
    await alice.page.click('[data-test=tab-chats]');
    await alice.page.locator('[data-test=connection]').waitFor({ state: 'detached' });
  });

  it("blocks a friend: the blocked side's send is refused with a visible error; unblocking lets it through", async () => {
    await alice.page.click('[data-test=tab-contacts]');
    const bobRow = friendRow(alice.page, bobApi.userId);
    await bobRow.locator('[data-test=friend-more]').click();
    await alice.page.click('[data-test=friend-extras] [data-test=block]');
    await bobRow.locator('[data-test=blocked-mark]').waitFor();
    await alice.page.locator('[data-test=blacklist] [data-test=blocked-user]', { hasText: 'bob' }).waitFor();
    await screenshot(alice.page, 'blacklist');

    await openChat(bob, 'Alice Liddell');
    await say(bob, 'can you hear me?');
    const refused = bob.page
      .locator('[data-test=message]', { hasText: 'can you hear me?' })
      .locator('[data-test=failed]');
    await refused.waitFor();
    expect(await refused.textContent()).to.include('blocked');
    await screenshot(bob.page, 'blocked-send');

    await alice.page.click('[data-test=blacklist] [data-test=unblock]');
    await alice.page.locator('[data-test=blacklist]').waitFor({ state: 'detached' });
    await say(bob, 'and now?');
    await bob.page
      .locator('[data-test=message]', { hasText: 'and now?' })
      .locator('[data-test=pending]')
      .waitFor({
        state: 'detached',
      });
    await openChat(alice, 'Bobby');
    await alice.page.locator('[data-test=messages] [data-test=text]', { hasText: 'and now?' }).waitFor();
    const aliceSees = await alice.page.locator('[data-test=messages] [data-test=text]').allTextContents();
    expect(aliceSees).not.to.include('can you hear me?');
  });

  it('deletes a message for me and a conversation from my list', async () => {
    const message = alice.page.locator('[data-test=message]', { hasText: 'and now?' });
    await message.locator('[data-test=delete-for-me]').click();
    await message.waitFor({ state: 'detached' });
    // bob keeps it.
    await bob.page.locator('[data-test=messages] [data-test=text]', { hasText: 'and now?' }).waitFor();

    await openChat(alice, 'carol');
    await alice.page.click('[data-test=delete-conversation]');
    await alice.page.click('[data-test=confirm-delete-conversation]');
    await row(alice.page, 'carol').waitFor({ state: 'detached' });
    expect((await rowNames(alice.page)).some((name) => name.startsWith('carol'))).to.equal(false);
  });

  it('switches to Simplified Chinese: the new screens speak it, and the choice is kept server side', async () => {
    const settingsSaved = () =>
      alice.page.waitForResponse(
        (response) =>
          response.url().endsWith('/api/v1/users/settings') && response.request().method() === 'PUT',
      );
    let saved = settingsSaved();
    await alice.page.click('[data-test=language]');
    await saved;
    await alice.page.locator('[data-test=tab-chats]', { hasText: '会话' }).waitFor();
    await openPanel(alice.page, 'settings');
    await alice.page.locator('[data-test=panel-profile]', { hasText: '个人资料' }).waitFor();
    await alice.page.locator('[data-test=dnd-form] h3', { hasText: '免打扰' }).waitFor();
    await alice.page.locator('[data-test=panel-devices]', { hasText: '登录设备' }).waitFor();
    await screenshot(alice.page, 'settings-zh');
    await openPanel(alice.page, 'devices');
    await alice.page.locator('[data-test=current-device]', { hasText: '本机' }).waitFor();
    await alice.page.click('[data-test=close-panel]');
    await row(alice.page, 'Bobby').click();
    await alice.page.locator('[data-test=pin]', { hasText: '取消置顶' }).waitFor();

    const languageOnServer = () =>
      alice.page.evaluate(async () => {
        const { accessToken } = JSON.parse(localStorage.getItem('anychat.auth') ?? '{}') as {
          accessToken: string;
        };
        const response = await fetch('/api/v1/users/settings', {
          headers: { Authorization: `Bearer ${accessToken}` },
        });
        return ((await response.json()) as { data: { language: string } }).data.language;
      });
    expect(await languageOnServer()).to.equal('zh-CN');

    await openPanel(alice.page, 'settings');
    saved = settingsSaved();
    await alice.page.selectOption('[data-test=language-select]', 'en');
    await saved;
    await alice.page.locator('[data-test=tab-chats]', { hasText: 'Chats' }).waitFor();
    await alice.page.locator('[data-test=settings-saved][data-what=language]').waitFor();
    expect(await languageOnServer()).to.equal('en');
  });

  it('deletes a friend, on both sides', async () => {
    await alice.page.click('[data-test=tab-contacts]');
    const carolRow = friendRow(alice.page, carolApi.userId);
    await carolRow.locator('[data-test=friend-more]').click();
    await alice.page.click('[data-test=friend-extras] [data-test=delete-friend]');
    await alice.page.click('[data-test=friend-extras] [data-test=confirm-delete-friend]');
    await carolRow.waitFor({ state: 'detached' });
    const { friends } = await api<{ friends: Array<{ userId: string }> }>(
      'GET',
      '/api/v1/friends',
      carolApi.accessToken,
    );
    expect(friends.map((friend) => friend.userId)).not.to.include(aliceApi.userId);
  });

  it('left no console error, uncaught exception or dialog in any browser', () => {
    for (const user of web.users) expect(user.problems, user.name).to.deep.equal([]);
  });
});
