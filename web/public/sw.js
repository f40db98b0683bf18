/**
 * AnyChat's service worker: Web Push notifications while the app is not open. It does nothing else
 * (no fetch handler, no cache): the page loads as without it.
 *
 * A push is what services/push/providers/web-push.ts sends, as JSON:
 *   { title, body, badge, tag, silent, data: { type, sessionId?, messageId?, seq?, ... } }
 * `tag` is the collapse key (a conversation's id for messages): a newer push of one conversation
 * replaces the notification shown for it. A silent push (`type: "read"`, the conversation was read
 * on another device) withdraws that notification instead of showing one.
 */

self.addEventListener('install', () => {
  // A new version takes over at once: it holds no cache that the old one's pages depend on.
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

function readPush(event) {
  if (!event.data) return null;
  try {
    return event.data.json();
  } catch {
    return { title: '', body: event.data.text() };
  }
}

self.addEventListener('push', (event) => {
  const push = readPush(event);
  if (!push) return;
  const data = push.data ?? {};
  if (push.silent) {
    event.waitUntil(
      self.registration.getNotifications(push.tag ? { tag: push.tag } : {}).then((shown) => {
        for (const notification of shown) notification.close();
      }),
    );
    return;
  }
  event.waitUntil(
    self.registration.showNotification(push.title || 'AnyChat', {
      body: push.body ?? '',
      ...(push.tag ? { tag: push.tag, renotify: true } : {}),
      data,
    }),
  );
});

/**
 * A click on a notification: the app's open window shows the conversation (and is focused), or a
 * new window opens at it.
 */
async function openFromNotification(notification) {
  const sessionId = notification.data?.sessionId;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (!open) {
    await self.clients.openWindow(sessionId ? `/?session=${encodeURIComponent(sessionId)}` : '/');
    return;
  }
  if (sessionId) open.postMessage({ type: 'open-conversation', sessionId });
  // Focusing is allowed while handling the click only; the message above arrives either way.
  await open.focus().catch(() => open);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openFromNotification(event.notification));
});
