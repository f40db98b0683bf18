import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import type { CDPSession } from 'playwright-core';
import { webPushPayload } from '../../services/push/providers/web-push.ts';
import {
  type BrowserUser,
  browserSuite,
  friendsOverApi,
  openChat,
  screenshot,
  signIn as signInAs,
} from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';

/**
 * Files, voice notes and Web Push notifications in the web client, in real Chromium against the
 * embedded platform: alice sends a file of random bytes (upload progress to the end) and bob
 * downloads exactly those bytes; alice records a voice note from Chromium's fake microphone and bob
 * gets a player with its duration; alice's service worker shows a push in the push service's own
 * payload format, and its click opens the conversation. No console error anywhere.
 *
 * What is not exercised end to end is the subscription itself: Chromium subscribes through its
 * vendor's push service (FCM), which this machine cannot reach, so no endpoint exists that the
 * platform could send to. The platform's side of Web Push (encryption, VAPID, TTL, Topic) is
 * test/push/web-push.test.ts against a local endpoint; here the push is handed to the service worker
 * through the DevTools protocol (ServiceWorker.deliverPushMessage), as a push service would, and
 * the subscribe attempt must end in a clear message rather than an error.
 */
describe('web client in Chromium: files, voice notes and push notifications', function () {
  this.timeout(600_000);
  const web = browserSuite('files', { launch: { fakeMedia: true } });
  let alice: BrowserUser;
  let bob: BrowserUser;
  const password = 'Passw0rd!files';
  let accounts: Record<string, string> = {};

  before(async () => {
    accounts = await friendsOverApi(web.platform.api, ['alice', 'bob'], password);
    alice = await web.user('alice');
    // Bob's browser has a profile of its own: an incognito context (newUser) refuses Web Push outright.
    bob = await web.profileUser('bob');
  });

  const signIn = (user: BrowserUser) => signInAs(user, accounts[user.name]!, password);

  it('signs both in; alice opens the conversation with her friend', async () => {
    await signIn(alice);
    await signIn(bob);
    await alice.page.click('[data-test=tab-contacts]');
    await alice.page
      .locator('[data-test=friend]', { hasText: 'bob' })
      .locator('[data-test=chat-with]')
      .click();
    await alice.page.locator('[data-test=chat-title]', { hasText: 'bob' }).waitFor();
  });

  it('sends a file with upload progress to the end; the other side downloads the exact bytes', async () => {
    const bytes = randomBytes(384 * 1024);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    // Every value the progress bar takes, as the page shows it.
    await alice.page.evaluate(() => {
      const seen: number[] = [];
      Object.assign(window, { uploadProgress: seen });
      new MutationObserver(() => {
        for (const bar of document.querySelectorAll<HTMLProgressElement>('[data-test=upload-progress]'))
          seen.push(bar.value);
      }).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['value'],
      });
    });
    await alice.page.setInputFiles('[data-test=file-input]', {
      name: 'report 2026.bin',
      mimeType: 'application/octet-stream',
      buffer: bytes,
    });
    const sent = alice.page.locator('[data-test=messages] [data-test=file]', { hasText: 'report 2026.bin' });
    await sent.locator('[data-test=file-download]').waitFor();
    expect(await alice.page.locator('[data-test=pending]').count()).to.equal(0);
    const progress = await alice.page.evaluate(
      () => (window as unknown as { uploadProgress: number[] }).uploadProgress,
    );
    expect(progress.length, 'the progress bar was shown').to.be.greaterThan(0);
    expect(Math.max(...progress)).to.equal(1);
    expect(await sent.locator('[data-test=file-size]').textContent()).to.equal('384 kB');

    await openChat(bob, 'alice');
    const received = bob.page.locator('[data-test=messages] [data-test=file]', {
      hasText: 'report 2026.bin',
    });
    await received.waitFor();
    expect(await received.locator('[data-test=file-size]').textContent()).to.equal('384 kB');
    await screenshot(bob.page, 'file-received');
    const [download] = await Promise.all([
      bob.page.waitForEvent('download'),
      received.locator('[data-test=file-download]').click(),
    ]);
    expect(download.suggestedFilename()).to.equal('report 2026.bin');
    const path = await download.path();
    const downloaded = await readFile(path);
    expect(downloaded.length).to.equal(bytes.length);
    expect(createHash('sha256').update(downloaded).digest('hex')).to.equal(sha256);
  });

  it('records a voice note from the microphone; the other side plays it, with its duration', async () => {
    await alice.page.click('[data-test=voice-record]');
    await alice.page.locator('[data-test=voice-recording]').waitFor();
    // A recording of a second or two (the fake microphone beeps); the length is asserted, not the time.
    await alice.page.waitForTimeout(1500);
    await alice.page.click('[data-test=voice-stop]');
    await alice.page.locator('[data-test=messages] [data-test=voice] [data-test=voice-player]').waitFor();
    await eventually('alice sees her voice note sent', async () =>
      (await alice.page.locator('[data-test=pending]').count()) === 0 ? true : undefined,
    );

    const player = bob.page.locator('[data-test=messages] [data-test=voice] [data-test=voice-player]').last();
    await player.waitFor();
    const duration = await eventually('the player knows its duration', () =>
      player.evaluate((audio: HTMLAudioElement) =>
        audio.readyState >= 1 && Number.isFinite(audio.duration) && audio.duration > 0
          ? audio.duration
          : undefined,
      ),
    );
    expect(duration).to.be.within(1, 10);
    await bob.page
      .locator('[data-test=conversations] .conversation', { hasText: 'alice' })
      .locator('.preview', { hasText: '[Voice]' })
      .waitFor();
    // The duration the server read from the recording, in the message as stored.
    const shown = await bob.page
      .locator('[data-test=messages] [data-test=voice] [data-test=voice-duration]')
      .last()
      .textContent();
    expect(shown).to.match(/^0:0[1-9]$/);
    const stored = await bob.page.evaluate(async () => {
      const { accessToken } = JSON.parse(localStorage.getItem('anychat.auth')!) as { accessToken: string };
      const sessions = await fetch('/api/v1/sessions?pageSize=10', {
        headers: { authorization: `Bearer ${accessToken}` },
      }).then((r) => r.json());
      const session = sessions.data.sessions[0];
      const history = await fetch(
        `/api/v1/messages/history?sessionId=${session.sessionId}&sessionType=single&limit=10`,
        { headers: { authorization: `Bearer ${accessToken}` } },
      ).then((r) => r.json());
      return history.data.messages.find((m: { contentType: string }) => m.contentType === 'voice')?.content;
    });
    expect(stored.duration).to.be.within(1, 10);
    expect(stored.mimeType).to.match(/webm|ogg/);
    // Playable: it plays to its end.
    const played = await player.evaluate(async (audio: HTMLAudioElement) => {
      audio.muted = true;
      await audio.play();
      await new Promise((resolve) => audio.addEventListener('ended', resolve, { once: true }));
      return audio.currentTime;
    });
    expect(played).to.be.greaterThan(0);
    await screenshot(bob.page, 'voice-received');
  });

  // In an incognito context (alice's): Chromium hands a DevTools push only to a profile's subscribed
  // registrations otherwise, and there can be no subscription here (see above).
  it('registers a service worker that shows a push as a notification and opens its conversation', async () => {
    const origin = new URL(web.platform.host.url).origin;
    await alice.context.grantPermissions(['notifications'], { origin });
    const worker = await alice.page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return {
        script: registration.active?.scriptURL,
        state: registration.active?.state,
        scope: registration.scope,
      };
    });
    expect(worker).to.deep.equal({ script: `${origin}/sw.js`, state: 'activated', scope: `${origin}/` });

    const cdp: CDPSession = await alice.context.newCDPSession(alice.page);
    const registrations = new Map<string, string>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => {
      for (const registration of event.registrations)
        registrations.set(registration.scopeURL, registration.registrationId);
    });
    await cdp.send('ServiceWorker.enable');
    const registrationId = await eventually('the registration is reported', () =>
      registrations.get(`${origin}/`),
    );

    // Alice is elsewhere (no conversation open) when the push comes.
    await alice.page.reload();
    await alice.page.locator('[data-test=me]').waitFor();
    expect(await alice.page.locator('[data-test=chat-title]').count()).to.equal(0);
    const sessionId = await alice.page.evaluate(async () => {
      const { accessToken } = JSON.parse(localStorage.getItem('anychat.auth')!) as { accessToken: string };
      const sessions = await fetch('/api/v1/sessions?pageSize=10', {
        headers: { authorization: `Bearer ${accessToken}` },
      }).then((r) => r.json());
      return sessions.data.sessions[0].sessionId as string;
    });
    // Exactly what WebPushProvider sends for a new message (services/push/domain/planner.ts's draft).
    const payload = webPushPayload({
      title: 'bob',
      body: 'lunch at noon?',
      badge: 1,
      priority: 'normal',
      collapseKey: sessionId,
      ttlSeconds: 60,
      silent: false,
      data: { type: 'message', sessionId, messageId: '1', seq: '3' },
    });
    await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: payload });
    const shown = await eventually('the notification is shown', () =>
      alice.page.evaluate(async () => {
        const notifications = await (await navigator.serviceWorker.ready).getNotifications();
        return notifications.length
          ? notifications.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }))
          : undefined;
      }),
    );
    expect(shown).to.deep.equal([
      {
        title: 'bob',
        body: 'lunch at noon?',
        tag: sessionId,
        data: { type: 'message', sessionId, messageId: '1', seq: '3' },
      },
    ]);

    // A click on it (run in the worker as its notificationclick handler runs it) opens the conversation.
    const serviceWorker = alice.context.serviceWorkers().find((w) => w.url() === `${origin}/sw.js`);
    expect(serviceWorker, 'the service worker is running').to.not.equal(undefined);
    await serviceWorker!.evaluate(async () => {
      const scope = self as unknown as {
        registration: ServiceWorkerRegistration;
        openFromNotification: (notification: Notification) => Promise<void>;
      };
      const [notification] = await scope.registration.getNotifications();
      await scope.openFromNotification(notification!);
    });
    await alice.page.locator('[data-test=chat-title]', { hasText: 'bob' }).waitFor();

    // Read on another device: the silent push withdraws the notification.
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin,
      registrationId,
      data: webPushPayload({
        title: '',
        body: '',
        badge: 0,
        priority: 'normal',
        collapseKey: sessionId,
        ttlSeconds: 60,
        silent: true,
        data: { type: 'read', sessionId, readSeq: '3' },
      }),
    });
    await eventually('the notification is withdrawn', () =>
      alice.page.evaluate(
        async () => (await (await navigator.serviceWorker.ready).getNotifications()).length === 0,
      ),
    );
    await cdp.detach();
  });

  // Chromium's push service (FCM) cannot be reached from here: its subscribe() never answers, and the
  // app gives up after a while (SUBSCRIBE_TIMEOUT_MS) with words for the user rather than an error.
  it('turning notifications on where no push service is reachable says so, without an error', async () => {
    const key = await web.platform.api.ok<{ publicKey: string }>('GET', '/api/v1/push/vapid-public-key');
    // An uncompressed P-256 point: 65 bytes starting with 4.
    const point = Buffer.from(key.publicKey, 'base64url');
    expect(point.length).to.equal(65);
    expect(point[0]).to.equal(4);

    // Headless, nobody answers the permission prompt: the browser says no, and so does the page.
    const problem = bob.page.locator('[data-test=notifications-problem]');
    await bob.page.click('[data-test=notifications-toggle]');
    await problem.waitFor();
    expect(await problem.textContent()).to.equal(
      'Notifications are blocked for this site; allow them in the browser’s site settings.',
    );

    await bob.context.grantPermissions(['notifications'], { origin: new URL(web.platform.host.url).origin });
    await bob.page.click('[data-test=notifications-toggle]');
    await problem.filter({ hasText: 'push service' }).waitFor({ timeout: 60_000 });
    expect(await problem.textContent()).to.equal(
      'Notifications could not be turned on: the browser’s push service cannot be reached from here.',
    );
    expect(await bob.page.locator('[data-test=notifications-toggle]').getAttribute('aria-checked')).to.equal(
      'false',
    );
    await screenshot(bob.page, 'notifications-unavailable');
  });

  it('shows no console error on either side', () => {
    for (const user of [alice, bob]) expect(user.problems, user.name).to.deep.equal([]);
  });
});
