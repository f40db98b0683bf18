import { expect } from 'chai';
import { TrackSource, TrackType } from 'livekit-server-sdk';
import type { Browser } from 'playwright-core';
import { liveKitOrigins, webContentSecurityPolicy } from '../../services/platform/http/web-client.ts';
import { type RtcWorld, startRtcWorld } from '../rtc/support.ts';
import { registerUser } from '../support/api-client.ts';
import { type BrowserUser, launchChromium, newUser, screenshot } from '../support/browser.ts';
import { befriend, loginDevice, type User } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { buildWebClient } from '../support/web.ts';

/**
 * Calls and meetings in the web client, in real Chromium with its fake camera and microphone, against
 * the embedded platform configured with a real LiveKit server (webhooks back to the platform). What
 * LiveKit itself reports (its RoomService API) is the proof that the browsers joined and publish.
 */
describe('web client in Chromium: calls and meetings over LiveKit', function () {
  this.timeout(600_000);
  let world: RtcWorld;
  let browser: Browser;
  let alice: BrowserUser;
  let bob: BrowserUser;
  let aliceAccount: User;
  let aliceId: string;
  let bobAccount: User;
  /** Where each console error on bob's page came from (the resource a "Failed to load" names). */
  const bobErrorUrls: string[] = [];
  const run = Date.now().toString(36);

  before(async () => {
    buildWebClient();
    // Rings long enough for a loaded machine to click; the rtc suites check the timeout itself.
    world = await startRtcWorld('pglite', { RTC_RING_TIMEOUT_SECONDS: '60' });
    const api = world.platform.api;
    const a = await registerUser(api, { account: `alice_${run}`, nickname: 'alice' });
    const b = await registerUser(api, { account: `bob_${run}`, nickname: 'bob' });
    await befriend(api, a, b);
    aliceAccount = a;
    aliceId = a.userId;
    bobAccount = b;
    browser = await launchChromium({ fakeMedia: true });
    alice = await newUser(browser, world.platform.host.url, 'alice');
    bob = await newUser(browser, world.platform.host.url, 'bob');
    bob.page.on('console', (message) => {
      if (message.type() === 'error') bobErrorUrls.push(message.location().url);
    });
    for (const [user, who] of [
      [alice, a],
      [bob, b],
    ] as const) {
      const response = await user.page.goto('/');
      // The page may connect to the LiveKit server too (its WebSocket, and HTTP where its client asks
      // why a connection failed), and to nothing else.
      expect(response?.headers()['content-security-policy']).to.equal(
        webContentSecurityPolicy({ connect: liveKitOrigins(world.livekit.url) }),
      );
      await user.page.fill('input[name=account]', who.account);
      await user.page.fill('input[name=password]', who.password);
      await user.page.click('[data-test=submit]');
      await user.page.locator('[data-test=me]', { hasText: user.name }).waitFor();
      await user.page.locator('[data-test=connection]').waitFor({ state: 'detached' });
    }
    // Each opens the conversation with the other from the contacts.
    for (const [user, other] of [
      [alice, 'bob'],
      [bob, 'alice'],
    ] as const) {
      await user.page.click('[data-test=tab-contacts]');
      await user.page
        .locator('[data-test=friend]', { hasText: other })
        .locator('[data-test=chat-with]')
        .click();
      await user.page.locator('[data-test=chat-title]', { hasText: other }).waitFor();
    }
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const user of [alice, bob]) await screenshot(user.page, `calls-failed-${user.name}`).catch(() => {});
    console.error(
      'problems seen:',
      [alice, bob].map((user) => user?.problems),
      world?.livekit.logTail(),
    );
  });
  after(async () => {
    await browser?.close();
    await world?.stop();
  });

  const callScreen = (user: BrowserUser) => user.page.locator('[data-test=call-screen]');
  const record = (user: BrowserUser, status: string) =>
    user.page.locator(`[data-test=messages] [data-test=call-record][data-status=${status}]`).last();
  /** LiveKit's account of a room: who is in it, and what each publishes. */
  const participants = (room: string) => world.rooms.listParticipants(room);
  const microphone = (p: { tracks: Array<{ source: TrackSource; type: TrackType; muted: boolean }> }) =>
    p.tracks.find((t) => t.source === TrackSource.MICROPHONE && t.type === TrackType.AUDIO);

  it('alice calls bob: his page rings, he answers, both publish audio in the LiveKit room', async () => {
    await alice.page.click('[data-test=call-audio]');
    await callScreen(alice).waitFor();
    const callId = await callScreen(alice).getAttribute('data-id');
    expect(callId).to.match(/^\d+$/);
    expect(await callScreen(alice).getAttribute('data-phase')).to.equal('calling');

    const ringing = bob.page.locator('[data-test=incoming-call]');
    await ringing.waitFor();
    expect(await ringing.getAttribute('data-call')).to.equal(callId);
    expect(await ringing.locator('[data-test=incoming-caller]').textContent()).to.include('alice');
    await screenshot(bob.page, 'call-ringing');
    await ringing.locator('[data-test=call-accept]').click();
    await ringing.waitFor({ state: 'detached' });
    await callScreen(bob).waitFor();
    await alice.page.locator('[data-test=call-screen][data-phase=connected]').waitFor();

    // LiveKit's own RoomService: both users in the call's room, each with a published microphone.
    const room = `call_${callId}`;
    const inRoom = await eventually('both browsers publish a microphone in the room', async () => {
      const present = await participants(room);
      return present.length === 2 && present.every((p) => microphone(p)) && present;
    });
    expect(inRoom.map((p) => p.identity).sort()).to.deep.equal([aliceId, bobAccount.userId].sort());
    // Each page shows the other, and plays the other's audio.
    for (const user of [alice, bob]) {
      await user.page.locator('[data-test=call-peer][data-local=false][data-mic=on]').waitFor();
      await user.page.locator('[data-test=call-speakers] audio').first().waitFor({ state: 'attached' });
    }
    await screenshot(alice.page, 'call-connected');

    // Muting is LiveKit's: alice's track is muted there, and bob's page shows her muted.
    await alice.page.click('[data-test=call-mic]');
    await eventually('alice muted in LiveKit', async () => {
      const present = await participants(room);
      const her = present.find((p) => p.identity === aliceId);
      return her && microphone(her)?.muted === true;
    });
    await bob.page.locator('[data-test=call-peer][data-local=false][data-mic=off]').waitFor();
    await alice.page.click('[data-test=call-mic]');
    await bob.page.locator('[data-test=call-peer][data-local=false][data-mic=on]').waitFor();

    // Hang up: both back to the chat, where the call's record shows its duration.
    await alice.page.click('[data-test=call-hangup]');
    for (const user of [alice, bob]) {
      await callScreen(user).waitFor({ state: 'detached' });
      await user.page
        .locator('[data-test=chat-title]', { hasText: user === alice ? 'bob' : 'alice' })
        .waitFor();
      await user.page.locator('[data-test=call-notice][data-kind=ended]').waitFor();
      const shown = record(user, 'ended');
      await shown.waitFor();
      expect(await shown.textContent()).to.match(/Voice call · \d+:\d\d/);
    }
    await screenshot(bob.page, 'call-record');
    await bob.page.locator('[data-test=conversations] .conversation', { hasText: '[Call]' }).waitFor();
    // The platform closes the call's room once the call is over.
    await eventually('the room is gone', async () => (await world.rooms.listRooms([room])).length === 0);
  });

  it('bob declines a video call: alice sees it declined, both see the record', async () => {
    await alice.page.click('[data-test=call-video]');
    await callScreen(alice).waitFor();
    const ringing = bob.page.locator('[data-test=incoming-call]');
    await ringing.waitFor();
    await ringing.locator('[data-test=call-reject]').click();
    await ringing.waitFor({ state: 'detached' });
    await callScreen(alice).waitFor({ state: 'detached' });
    await alice.page.locator('[data-test=call-notice][data-kind=declined]', { hasText: 'bob' }).waitFor();
    for (const user of [alice, bob])
      expect(await record(user, 'rejected').textContent()).to.include('Video call · declined');
    await screenshot(alice.page, 'call-declined');
  });

  it('a video call answered on bob’s phone: his browser stops ringing; alice’s camera shows and turns off', async () => {
    const phone = await loginDevice(world.platform.api, bobAccount, 'iOS', `ios-${run}`);
    await alice.page.click('[data-test=call-video]');
    await callScreen(alice).waitFor();
    const callId = await callScreen(alice).getAttribute('data-id');
    const ringing = bob.page.locator(`[data-test=incoming-call][data-call="${callId}"]`);
    await ringing.waitFor();
    await world.platform.api.ok('PUT', `/api/v1/calls/${callId}/accept`, { token: phone.accessToken });
    await ringing.waitFor({ state: 'detached' });
    await bob.page.locator('[data-test=call-notice][data-kind=elsewhere]').waitFor();
    await alice.page.locator('[data-test=call-screen][data-phase=connected]').waitFor();
    // Chromium's fake camera plays in alice's own tile; turned off, the tile shows her initial.
    await alice.page.waitForFunction(() => {
      const video = document.querySelector<HTMLVideoElement>('[data-test=call-peer][data-local=true] video');
      return video !== null && video.videoWidth > 0;
    });
    await screenshot(alice.page, 'call-video');
    await alice.page.click('[data-test=call-camera]');
    await alice.page.locator('[data-test=call-peer][data-local=true] video').waitFor({ state: 'detached' });
    // The phone hangs up: alice's screen closes too.
    await world.platform.api.ok('PUT', `/api/v1/calls/${callId}/hangup`, { token: phone.accessToken });
    await callScreen(alice).waitFor({ state: 'detached' });
    await alice.page.locator('[data-test=call-notice][data-kind=ended]').waitFor();
  });

  it('a group call from the group chat: bob answers, carol does not; it ends with its last participant', async () => {
    const api = world.platform.api;
    // alice's browser session is the Web one; the group is made from her phone.
    const phone = await loginDevice(api, aliceAccount, 'Android', `android-${run}`);
    const host = { userId: aliceId, accessToken: phone.accessToken };
    const carol = await registerUser(api, { account: `carol_${run}`, nickname: 'carol' });
    await befriend(api, host, carol);
    await api.ok('POST', '/api/v1/groups', {
      token: phone.accessToken,
      body: { name: `Crew ${run}`, memberIds: [bobAccount.userId, carol.userId] },
    });
    await alice.page.click('[data-test=tab-chats]');
    await alice.page.locator('[data-test=conversations] .conversation', { hasText: `Crew ${run}` }).click();
    await alice.page.locator('[data-test=chat-title]', { hasText: `Crew ${run}` }).waitFor();

    await alice.page.click('[data-test=call-audio]');
    await callScreen(alice).waitFor();
    const callId = await callScreen(alice).getAttribute('data-id');
    const ringing = bob.page.locator(`[data-test=incoming-call][data-call="${callId}"]`);
    await ringing.locator('[data-test=incoming-caller]', { hasText: 'alice is calling the group' }).waitFor();
    await ringing.locator('[data-test=call-accept]').click();
    await callScreen(bob).waitFor();
    await alice.page.locator('[data-test=call-screen][data-phase=connected]').waitFor();
    const room = `call_${callId}`;
    await eventually('alice and bob publish in the group call; carol is still rung', async () => {
      const present = await participants(room);
      return present.length === 2 && present.every((p) => microphone(p));
    });

    // alice leaves: the call goes on for bob, and ends when he hangs up too.
    await alice.page.click('[data-test=call-hangup]');
    await callScreen(alice).waitFor({ state: 'detached' });
    await bob.page.locator(`[data-test=call-peer][data-user="${aliceId}"]`).waitFor({ state: 'detached' });
    expect(await callScreen(bob).count()).to.equal(1);
    await bob.page.click('[data-test=call-hangup]');
    await callScreen(bob).waitFor({ state: 'detached' });
    await bob.page.locator('[data-test=call-notice][data-kind=ended]').waitFor();
    const shown = record(alice, 'ended');
    await shown.waitFor();
    expect(await shown.textContent()).to.match(/Voice call · \d+:\d\d/);
  });

  it('a meeting: created with a password, joined, the host mutes, removes and ends it', async () => {
    await alice.page.click('[data-test=meetings-open]');
    await alice.page.fill('[data-test=meeting-title]', 'Standup');
    await alice.page.fill('[data-test=meeting-password]', 'sesame42');
    await alice.page.click('[data-test=meeting-create]');
    await alice.page.locator('[data-test=call-screen][data-kind=meeting]').waitFor();
    const meetingId = await callScreen(alice).getAttribute('data-id');
    expect(meetingId).to.match(/^\d+$/);

    await bob.page.click('[data-test=meetings-open]');
    await bob.page.fill('[data-test=meeting-join-id]', meetingId!);
    await bob.page.fill('[data-test=meeting-join-password]', 'wrong-one');
    await bob.page.click('[data-test=meeting-join]');
    await bob.page.locator('[data-test=meeting-error]', { hasText: 'Wrong meeting password' }).waitFor();
    await bob.page.fill('[data-test=meeting-join-password]', 'sesame42');
    await bob.page.click('[data-test=meeting-join]');
    await bob.page.locator('[data-test=call-screen][data-kind=meeting]').waitFor();

    const room = `meeting_${meetingId}`;
    await eventually('both in the meeting room with a microphone', async () => {
      const present = await participants(room);
      return present.length === 2 && present.every((p) => microphone(p));
    });
    const bobTile = alice.page.locator(`[data-test=call-peer][data-user="${bobAccount.userId}"]`);
    await bobTile.locator('[data-test=meeting-mute]').click();
    await eventually('bob muted by the host in LiveKit', async () => {
      const him = (await participants(room)).find((p) => p.identity === bobAccount.userId);
      return him && microphone(him)?.muted === true;
    });
    await bob.page.locator('[data-test=call-peer][data-local=true][data-mic=off]').waitFor();
    await screenshot(alice.page, 'meeting-host');

    await bobTile.locator('[data-test=meeting-remove]').click();
    await callScreen(bob).waitFor({ state: 'detached' });
    await bob.page.locator('[data-test=call-notice][data-kind=removed]').waitFor();
    await bobTile.waitFor({ state: 'detached' });

    await alice.page.click('[data-test=meeting-end]');
    await callScreen(alice).waitFor({ state: 'detached' });
    await alice.page.locator('[data-test=call-notice][data-kind=meetingEnded]').waitFor();
  });

  it('logged no console error', () => {
    expect(alice.problems).to.deep.equal([]);
    // bob's wrong meeting password is answered 403 on purpose, and Chromium logs every refused fetch
    // as a console error ("Failed to load resource"): exactly that one line, for the join route, is
    // expected. Nothing else is.
    const refused = /^console: Failed to load resource: the server responded with a status of 403/;
    // (LiveKit's data channels closing when the server ends a room are not errors here: the call screen
    // logs them at debug level, web/src/calls/sdk-logging.ts.)
    const unexpected = bob.problems.filter((problem) => !refused.test(problem));
    expect(unexpected).to.deep.equal([]);
    expect(bob.problems.filter((problem) => refused.test(problem))).to.have.length(1);
    expect(bobErrorUrls).to.have.length(1);
    expect(new URL(bobErrorUrls[0]!).pathname).to.match(/^\/api\/v1\/meetings\/\d+\/join$/);
  });
});

/** Without LiveKit the server answers 100111: the page shows its words and hides the call buttons. */
describe('web client in Chromium: calls on a server without LiveKit', function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let browser: Browser;
  let user: BrowserUser;
  const errorUrls: string[] = [];

  before(async () => {
    buildWebClient();
    platform = await startPlatform('pglite');
    const run = Date.now().toString(36);
    const a = await registerUser(platform.api, { account: `carol_${run}`, nickname: 'carol' });
    const b = await registerUser(platform.api, { account: `dave_${run}`, nickname: 'dave' });
    await befriend(platform.api, a, b);
    browser = await launchChromium({ fakeMedia: true });
    user = await newUser(browser, platform.host.url, 'carol');
    user.page.on('console', (message) => {
      if (message.type() === 'error') errorUrls.push(message.location().url);
    });
    await user.page.goto('/');
    await user.page.fill('input[name=account]', a.account);
    await user.page.fill('input[name=password]', a.password);
    await user.page.click('[data-test=submit]');
    await user.page.locator('[data-test=me]', { hasText: 'carol' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('says calls are not configured, and the call buttons go away', async () => {
    await user.page.click('[data-test=tab-contacts]');
    await user.page
      .locator('[data-test=friend]', { hasText: 'dave' })
      .locator('[data-test=chat-with]')
      .click();
    await user.page.click('[data-test=call-audio]');
    await user.page.locator('[data-test=call-error]', { hasText: 'Calls are not configured' }).waitFor();
    await user.page.locator('[data-test=call-audio]').waitFor({ state: 'detached' });
    expect(await user.page.locator('[data-test=call-screen]').count()).to.equal(0);
    await screenshot(user.page, 'calls-not-configured');
    // The refusal is a 400 on purpose, which Chromium logs as a console error: that one, and only it.
    expect(user.problems).to.have.length(1);
    expect(user.problems[0]).to.match(
      /^console: Failed to load resource: the server responded with a status of 400/,
    );
    expect(errorUrls.map((url) => new URL(url).pathname)).to.deep.equal(['/api/v1/calls/invite']);
  });
});
