import { createHash } from 'node:crypto';
import type { Agent } from 'node:https';
import webPush from 'web-push';
import {
  networkFailure,
  outcomeOfStatus,
  type PushMessage,
  type PushProvider,
  type PushTarget,
  type SendOutcome,
} from './provider.ts';
import type { VapidKeys } from './vapid.ts';

/** RFC 8030 §5.4: a Topic is at most 32 characters of the URL-safe base64 alphabet. */
export const webPushTopic = (collapseKey: string) =>
  createHash('sha256').update(collapseKey).digest('base64url').slice(0, 32);

/**
 * What the browser's service worker receives (web/public/sw.js reads it): the notification's title
 * and body, the badge, the collapse key as the notification's `tag`, whether it is a silent
 * withdrawal, and the data the app opens (kind, conversation, ids).
 */
export function webPushPayload(message: PushMessage): string {
  return JSON.stringify({
    title: message.title,
    body: message.body,
    badge: message.badge,
    tag: message.collapseKey,
    silent: message.silent,
    data: message.data,
  });
}

interface Subscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/**
 * Web Push (RFC 8030) with the `web-push` package: the payload encrypted for the browser's
 * subscription (RFC 8291, aes128gcm) and signed with VAPID (RFC 8292). Urgency follows the
 * priority, Topic the collapse key (a newer push of one conversation replaces one not yet
 * delivered). The push service answers 404/410 for a subscription that is gone.
 */
export class WebPushProvider implements PushProvider {
  readonly name = 'webpush';
  readonly #vapid: VapidKeys;
  readonly #subject: string;
  readonly #agent: Agent;

  constructor(vapid: VapidKeys, subject: string, agent: Agent) {
    this.#vapid = vapid;
    this.#subject = subject;
    this.#agent = agent;
  }

  async send(target: PushTarget, message: PushMessage): Promise<SendOutcome> {
    let subscription: Subscription;
    try {
      subscription = JSON.parse(target.token) as Subscription;
    } catch {
      return { ok: false, reason: 'dead-token', detail: 'the registration is not a Web Push subscription' };
    }
    const payload = webPushPayload(message);
    try {
      const answer = await webPush.sendNotification(subscription, payload, {
        vapidDetails: { subject: this.#subject, ...this.#vapid },
        TTL: message.ttlSeconds,
        urgency: message.priority,
        topic: webPushTopic(message.collapseKey),
        contentEncoding: 'aes128gcm',
        timeout: 10_000,
        agent: this.#agent,
      });
      return outcomeOfStatus(answer.statusCode, `HTTP ${answer.statusCode}`);
    } catch (error) {
      if (error instanceof webPush.WebPushError) {
        return outcomeOfStatus(
          error.statusCode,
          `HTTP ${error.statusCode} ${error.body}`.trim().slice(0, 500),
        );
      }
      return networkFailure(error);
    }
  }
}
