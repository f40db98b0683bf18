import { deviceId } from './api/http.ts';
import { language } from './i18n.ts';
import { http, loadConversations, openConversation, state } from './store.ts';

/**
 * Web Push: the service worker (public/sw.js) shows what the push service sends while AnyChat is not
 * open, and a click on it opens the conversation. Turning notifications on subscribes this browser
 * with the deployment's VAPID public key and registers the subscription as this device's push token
 * (`POST /api/v1/users/push-token`, platform Web); turning them off unsubscribes and revokes it.
 */

const ENABLED_KEY = 'anychat.notifications';
/**
 * How long the browser's push service may take to subscribe. Chromium subscribes through its
 * vendor's service (FCM) and, where that cannot be reached, never answers: the user is told instead.
 */
const SUBSCRIBE_TIMEOUT_MS = 15_000;

export function supported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

let registering: Promise<ServiceWorkerRegistration> | null = null;

/**
 * Registers the service worker (once a page) and listens for its "open this conversation" messages.
 * Also opens the conversation a notification named when it had to open a new window (`?session=`).
 */
export function startServiceWorker(): Promise<ServiceWorkerRegistration> | null {
  if (!('serviceWorker' in navigator)) return null;
  if (!registering) {
    navigator.serviceWorker.addEventListener('message', (event: MessageEvent) => {
      const data = event.data as { type?: string; sessionId?: string } | null;
      if (data?.type === 'open-conversation' && data.sessionId) void openSoon(data.sessionId);
    });
    const query = new URLSearchParams(location.search);
    const sessionId = query.get('session');
    if (sessionId) {
      history.replaceState(null, '', '/');
      void openSoon(sessionId);
    }
    registering = navigator.serviceWorker.register('/sw.js', { scope: '/' });
  }
  return registering;
}

/** Opens a conversation, loading the list first when it is not in it yet (a new one). */
async function openSoon(sessionId: string) {
  if (!state.conversations.some((c) => c.sessionId === sessionId)) await loadConversations().catch(() => {});
  await openConversation(sessionId).catch(() => {});
}

function storageKey() {
  return `${ENABLED_KEY}.${state.me?.userId ?? ''}`;
}

/** Whether the user turned notifications on in this browser (and the browser still allows them). */
export function enabled(): boolean {
  return supported() && Notification.permission === 'granted' && localStorage.getItem(storageKey()) === 'on';
}

/** Why turning notifications on failed, for the user (the toggle shows it, nothing is thrown). */
export class NotificationsError extends Error {
  constructor(
    readonly reason: 'unsupported' | 'denied' | 'unreachable' | 'subscribe',
    detail: string,
  ) {
    super(detail);
  }
}

function applicationServerKey(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const key = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) key[i] = raw.charCodeAt(i);
  return key;
}

function answeredWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new NotificationsError('unreachable', 'the push service did not answer')),
      ms,
    );
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** Asks the browser for permission, subscribes, and registers the subscription with the API. */
export async function enable(): Promise<void> {
  if (!supported()) throw new NotificationsError('unsupported', 'no Push API');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new NotificationsError('denied', permission);
  const registration = await startServiceWorker()!;
  await navigator.serviceWorker.ready;
  let subscription: PushSubscription;
  try {
    const { publicKey } = await http.get<{ publicKey: string }>('/api/v1/push/vapid-public-key');
    subscription =
      (await registration.pushManager.getSubscription()) ??
      (await answeredWithin(
        registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: applicationServerKey(publicKey),
        }),
        SUBSCRIBE_TIMEOUT_MS,
      ));
  } catch (error) {
    if (error instanceof NotificationsError) throw error;
    throw new NotificationsError('subscribe', (error as Error).message);
  }
  try {
    await http.call('POST', '/api/v1/users/push-token', {
      pushToken: JSON.stringify(subscription.toJSON()),
      platform: 'Web',
      provider: 'webpush',
      language: language.value === 'zh' ? 'zh-CN' : 'en',
    });
  } catch (error) {
    await subscription.unsubscribe().catch(() => false);
    throw new NotificationsError('subscribe', (error as Error).message);
  }
  localStorage.setItem(storageKey(), 'on');
}

/** Unsubscribes this browser and revokes its registration: no more pushes to this device. */
export async function disable(): Promise<void> {
  localStorage.removeItem(storageKey());
  const registration = await startServiceWorker();
  const subscription = await registration?.pushManager.getSubscription();
  await subscription?.unsubscribe().catch(() => false);
  await http.call('DELETE', `/api/v1/users/push-tokens/${encodeURIComponent(deviceId())}`).catch(() => {});
}
