import { expect } from 'chai';
import jsQRModule from 'jsqr';
import type { Locator } from 'playwright-core';
import sharp from 'sharp';
import { registerUser } from '../support/api-client.ts';
import { type BrowserUser, browserSuite, screenshot, signIn } from '../support/browser.ts';
import { befriend, type User } from '../support/chat.ts';

// jsqr is CommonJS whose types declare an ES default export: Node's default import is module.exports.
const jsQR = jsQRModule.default;

/**
 * Group management in the web client, in real Chromium against the embedded platform: three people
 * in three browsers (and a fourth member over the API) make a group, invite, give and take roles,
 * edit the announcement, mute and remove a member, approve a join request that came through the
 * group's QR link, transfer the group, leave and dismiss it. Every change made in one browser shows
 * in the group panels open in the others, and the member count in their chat headers follows joins,
 * removals and leaves, pushed over the WebSocket; nothing logs a console error.
 */
describe('web client in Chromium: group management', function () {
  this.timeout(600_000);
  const web = browserSuite('groups');
  let alice: BrowserUser;
  let bob: BrowserUser;
  let carol: BrowserUser;
  const ids: Record<string, string> = {};
  let dave: User;
  let groupLink = '';
  const run = Date.now().toString(36);
  const account = (name: string) => `g${name}_${run}`;
  const PASSWORD = 'Passw0rd!groups';

  before(async () => {
    // Accounts and friendships through the API: the chat suite covers doing that in the browser.
    const users: Record<string, User> = {};
    for (const name of ['alice', 'bob', 'carol', 'dave'])
      users[name] = await registerUser(web.platform.api, {
        account: account(name),
        password: PASSWORD,
        nickname: name,
        // Not Web: the browser's own sign-in (deviceType Web) would end this session, and dave's is used later.
        deviceType: 'iOS',
        deviceId: `ios-${name}`,
      });
    for (const name of ['bob', 'carol', 'dave']) await befriend(web.platform.api, users.alice!, users[name]!);
    for (const [name, user] of Object.entries(users)) ids[name] = user.userId;
    dave = users.dave!;
    alice = await web.user('alice');
    bob = await web.user('bob');
    carol = await web.user('carol');
  });

  const groupPanel = (user: BrowserUser) => user.page.locator('[data-test=group-panel]');
  const member = (user: BrowserUser, name: string) =>
    groupPanel(user).locator(`[data-test=member][data-user="${ids[name]}"]`);
  const openCrew = async (user: BrowserUser) => {
    await user.page.click('[data-test=tab-chats]');
    await user.page.locator('[data-test=conversations] .conversation', { hasText: 'Crew' }).click();
    await user.page.locator('[data-test=chat-title]', { hasText: 'Crew' }).waitFor();
  };
  const openPanel = async (user: BrowserUser) => {
    if ((await groupPanel(user).count()) === 0) await user.page.click('[data-test=group-info]');
    await groupPanel(user).locator('[data-test=group-panel-name]', { hasText: 'Crew' }).waitFor();
  };
  const say = async (user: BrowserUser, text: string) => {
    await user.page.fill('[data-test=composer]', text);
    await user.page.click('[data-test=send]');
  };
  const sees = (user: BrowserUser, text: string) =>
    user.page.locator('[data-test=messages] [data-test=text]', { hasText: text }).first().waitFor();
  /** Waits for a locator's attribute to take a value (the panels update when a notice arrives). */
  const hasAttribute = (locator: Locator, name: string, value: string) =>
    locator.and(locator.page().locator(`[${name}="${value}"]`)).waitFor();
  /** Waits for the chat header of the open group to count `n` members. */
  const headerCounts = (user: BrowserUser, n: number) =>
    hasAttribute(user.page.locator('[data-test=chat] [data-test=member-count]'), 'data-count', String(n));

  it('signs three friends of alice in, each in their own browser', async () => {
    for (const user of [alice, bob, carol]) await signIn(user, account(user.name), PASSWORD);
  });

  it('creates a group; its panel lists the members with their roles and draws a QR code of its link', async () => {
    await alice.page.click('[data-test=tab-contacts]');
    await alice.page.click('[data-test=new-group]');
    await alice.page.fill('[data-test=group-name]', 'Crew');
    for (const name of ['bob', 'dave'])
      await alice.page.check(`[data-test=group-form] [data-member="${ids[name]}"]`);
    await alice.page.click('[data-test=create-group]');
    await alice.page.locator('[data-test=chat-title]', { hasText: 'Crew' }).waitFor();
    await openPanel(alice);
    await hasAttribute(member(alice, 'alice'), 'data-role', 'owner');
    await hasAttribute(member(alice, 'bob'), 'data-role', 'member');
    await hasAttribute(member(alice, 'dave'), 'data-role', 'member');
    expect(await groupPanel(alice).locator('[data-test=member]').count()).to.equal(3);
    await headerCounts(alice, 3);

    const qr = groupPanel(alice).locator('canvas[data-test=group-qr]');
    await qr.waitFor();
    groupLink = (await qr.getAttribute('data-link')) ?? '';
    expect(groupLink).to.match(/^http:\/\/.+\/api\/v1\/groups\/qrcode\/[A-Za-z0-9_-]+$/);
    // What is drawn decodes to that link.
    const { data, info } = await sharp(await qr.screenshot())
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const decoded = jsQR(
      new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
      info.width,
      info.height,
    );
    expect(decoded?.data).to.equal(groupLink);
  });

  it('changes the group name and avatar (owner)', async () => {
    await groupPanel(alice).locator('[data-test=group-name-edit]').click();
    await groupPanel(alice).locator('[data-test=group-name-input]').fill('Crew of four');
    await groupPanel(alice).locator('[data-test=group-name-save]').click();
    await groupPanel(alice).locator('[data-test=group-panel-name]', { hasText: 'Crew of four' }).waitFor();
    await alice.page
      .locator('[data-test=conversations] .conversation', { hasText: 'Crew of four' })
      .waitFor();
    const png = await sharp({
      create: { width: 128, height: 128, channels: 3, background: { r: 22, g: 163, b: 74 } },
    })
      .png()
      .toBuffer();
    await alice.page.setInputFiles('[data-test=group-avatar-input]', {
      name: 'crew.png',
      mimeType: 'image/png',
      buffer: png,
    });
    await groupPanel(alice).locator('img[data-test=group-avatar]').waitFor();
    await alice.page.waitForFunction(() => {
      const image = document.querySelector<HTMLImageElement>('[data-test=group-avatar]');
      return image?.complete && image.naturalWidth > 0;
    });
  });

  it('invites the third friend from the panel: she is in, and every open panel lists her', async () => {
    await openCrew(bob);
    await openPanel(bob);
    await headerCounts(bob, 3);
    await groupPanel(alice).locator(`[data-invite="${ids.carol}"]`).check();
    await groupPanel(alice).locator('[data-test=invite-submit]').click();
    await groupPanel(alice).locator('[data-test=invite-result]', { hasText: 'Added 1, invited 0' }).waitFor();
    await member(alice, 'carol').waitFor();
    // bob's panel was open before: the member.joined notice refreshed it, and both chat headers.
    await member(bob, 'carol').waitFor();
    for (const user of [alice, bob]) await headerCounts(user, 4);
    await openCrew(carol);
    await openPanel(carol);
    await member(carol, 'carol').waitFor();
    expect(await groupPanel(carol).locator('[data-test=member]').count()).to.equal(4);
    // Plain members manage no one and edit nothing.
    expect(
      await groupPanel(carol).locator('[data-test=announcement-edit], [data-test=remove]').count(),
    ).to.equal(0);
  });

  it('makes bob an admin: his own panel gives him the admin tools at once', async () => {
    await member(alice, 'bob').locator('[data-test=make-admin]').click();
    await hasAttribute(member(alice, 'bob'), 'data-role', 'admin');
    await hasAttribute(member(bob, 'bob'), 'data-role', 'admin');
    await groupPanel(bob).locator('[data-test=announcement-edit]').waitFor();
    await hasAttribute(member(carol, 'bob'), 'data-role', 'admin');
    // An admin manages plain members, not the owner.
    expect(await member(bob, 'carol').locator('[data-test=remove]').count()).to.equal(1);
    expect(await member(bob, 'alice').locator('[data-test=remove]').count()).to.equal(0);
  });

  it('the admin edits the announcement; the others see it in their panels, as text', async () => {
    const announcement = 'Meet at <b>noon</b> <img src=x onerror=alert(1)>\nBring snacks';
    await groupPanel(bob).locator('[data-test=announcement-edit]').click();
    await groupPanel(bob).locator('[data-test=announcement-input]').fill(announcement);
    await groupPanel(bob).locator('[data-test=announcement-save]').click();
    for (const user of [alice, carol]) {
      const shown = groupPanel(user).locator('[data-test=announcement]', { hasText: 'Bring snacks' });
      await shown.waitFor();
      expect(await shown.textContent()).to.equal(announcement);
      expect(await shown.locator('b, img').count()).to.equal(0);
    }
    await screenshot(carol.page, 'group-panel-member');
  });

  it('mutes carol: her message is refused; unmuted, it goes through', async () => {
    await member(alice, 'carol').locator('[data-test=mute]').click();
    await hasAttribute(member(carol, 'carol'), 'data-muted', 'true');
    await say(carol, 'can anyone hear me');
    await carol.page
      .locator('[data-test=message]', { hasText: 'can anyone hear me' })
      .locator('[data-test=failed]')
      .waitFor();
    await member(alice, 'carol').locator('[data-test=unmute]').click();
    await hasAttribute(member(carol, 'carol'), 'data-muted', 'false');
    await say(carol, 'unmuted now');
    await openCrew(alice);
    await sees(alice, 'unmuted now');
  });

  it('mutes everyone: plain members are refused, admins still speak', async () => {
    await groupPanel(alice).locator('[data-setting=allMuted]').check();
    // bob's box follows once the change is stored (the group.muted notice).
    await groupPanel(bob).locator('[data-setting=allMuted]:checked').waitFor();
    await say(carol, 'quiet room?');
    await carol.page
      .locator('[data-test=message]', { hasText: 'quiet room?' })
      .locator('[data-test=failed]')
      .waitFor();
    await say(bob, 'admins may talk');
    await sees(alice, 'admins may talk');
    await groupPanel(alice).locator('[data-setting=allMuted]').uncheck();
    await groupPanel(bob).locator('[data-setting=allMuted]:not(:checked)').waitFor();
  });

  it('removes carol: her panel says she is out, and what she sends is refused', async () => {
    await member(bob, 'carol').locator('[data-test=remove]').click();
    await member(alice, 'carol').waitFor({ state: 'detached' });
    for (const user of [alice, bob]) await headerCounts(user, 3);
    await hasAttribute(groupPanel(carol).locator('[data-test=group-state]'), 'data-state', 'not-member');
    await say(carol, 'am I still here');
    await carol.page
      .locator('[data-test=message]', { hasText: 'am I still here' })
      .locator('[data-test=failed]')
      .waitFor();
    expect(
      await alice.page
        .locator('[data-test=messages] [data-test=text]', { hasText: 'am I still here' })
        .count(),
    ).to.equal(0);

    // Reloaded, the client still knows she is out (her group list says so): opening the group asks
    // nothing the server refuses (no read ack, no member list), and its panel shows the public part.
    const groupList = carol.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/groups');
    await carol.page.reload();
    await groupList;
    await openCrew(carol);
    await openPanel(carol);
    await hasAttribute(groupPanel(carol).locator('[data-test=group-state]'), 'data-state', 'not-member');
  });

  it('with joins verified, carol asks through the group link; the admin approves and she is back', async () => {
    await groupPanel(alice).locator('[data-setting=joinVerify]').check();
    await groupPanel(bob).locator('[data-setting=joinVerify]:checked').waitFor();
    await carol.page.click('[data-test=tab-contacts]');
    await carol.page.fill('[data-test=join-link]', groupLink);
    await carol.page.click('[data-test=join-look-up]');
    await carol.page.locator('[data-test=join-found]', { hasText: 'Crew of four' }).waitFor();
    await carol.page.fill('[data-test=join-group] [data-test=join-message]', 'sorry, let me back in');
    await carol.page.click('[data-test=join-submit]');
    await hasAttribute(
      carol.page.locator('[data-test=join-group] [data-test=join-status]'),
      'data-status',
      'pending',
    );

    // The request reaches the admins' open panels.
    const request = groupPanel(bob).locator(`[data-test=join-request][data-user="${ids.carol}"]`);
    await request.locator('.muted', { hasText: 'sorry, let me back in' }).waitFor();
    await groupPanel(alice).locator(`[data-test=join-request][data-user="${ids.carol}"]`).waitFor();
    await screenshot(bob.page, 'group-panel-admin');
    await request.locator('[data-test=approve]').click();
    await member(alice, 'carol').waitFor();
    await groupPanel(alice).locator('[data-test=join-request]').waitFor({ state: 'detached' });
    // carol's panel, still open, shows the group again.
    await member(carol, 'carol').waitFor();
    for (const user of [alice, bob]) await headerCounts(user, 4);
    await openCrew(carol);
    await headerCounts(carol, 4);
    await say(carol, 'back again');
    await sees(alice, 'back again');
  });

  it('transfers the group to bob: roles swap in every panel', async () => {
    const transfer = member(alice, 'bob').locator('[data-test=transfer]');
    await transfer.click();
    await transfer.filter({ hasText: 'Confirm' }).click();
    await hasAttribute(member(alice, 'bob'), 'data-role', 'owner');
    await hasAttribute(member(alice, 'alice'), 'data-role', 'member');
    await hasAttribute(member(bob, 'bob'), 'data-role', 'owner');
    await groupPanel(bob).locator('[data-test=dismiss-group]').waitFor();
    await groupPanel(alice).locator('[data-test=leave-group]').waitFor();
    // The server agrees (asked as dave, a member without a browser).
    const { members } = await web.platform.api.ok<{ members: Array<{ userId: string; role: string }> }>(
      'GET',
      `/api/v1/groups/${await groupId()}/members`,
      { token: dave.accessToken },
    );
    expect(members.find((m) => m.userId === ids.bob)?.role).to.equal('owner');
    expect(members.find((m) => m.userId === ids.alice)?.role).to.equal('member');
  });

  it('shows the panel in Simplified Chinese', async () => {
    await alice.page.click('[data-test=language]');
    await groupPanel(alice).locator('[data-test=leave-group]', { hasText: '退出群聊' }).waitFor();
    await screenshot(alice.page, 'group-panel-zh');
    await alice.page.click('[data-test=language]');
    await groupPanel(alice).locator('[data-test=leave-group]', { hasText: 'Leave group' }).waitFor();
  });

  it('carol leaves: the others see her go', async () => {
    const leave = groupPanel(carol).locator('[data-test=leave-group]');
    await leave.click();
    await leave.filter({ hasText: 'Confirm' }).click();
    await hasAttribute(groupPanel(carol).locator('[data-test=group-state]'), 'data-state', 'not-member');
    await member(alice, 'carol').waitFor({ state: 'detached' });
    await member(bob, 'carol').waitFor({ state: 'detached' });
    for (const user of [alice, bob]) await headerCounts(user, 3);
  });

  it('the new owner dismisses the group: every open panel says so', async () => {
    await screenshot(bob.page, 'group-panel-owner');
    const dismiss = groupPanel(bob).locator('[data-test=dismiss-group]');
    await dismiss.click();
    await dismiss.filter({ hasText: 'Confirm' }).click();
    for (const user of [bob, alice])
      await hasAttribute(groupPanel(user).locator('[data-test=group-state]'), 'data-state', 'dismissed');
    await say(alice, 'anyone left?');
    await alice.page
      .locator('[data-test=message]', { hasText: 'anyone left?' })
      .locator('[data-test=failed]')
      .waitFor();
  });

  it('left no console error, uncaught exception or dialog in any browser', () => {
    for (const user of [alice, bob, carol]) expect(user.problems, user.name).to.deep.equal([]);
  });

  async function groupId(): Promise<string> {
    const id = await groupPanel(alice).getAttribute('data-group');
    if (!id) throw new Error('no group panel open');
    return id;
  }
});
