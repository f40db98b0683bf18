import { createHash } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { Http2Origin } from './http2-client.ts';
import {
  networkFailure,
  type PushMessage,
  type PushProvider,
  type PushTarget,
  parseJson,
  type SendOutcome,
} from './provider.ts';

export interface ApnsCredentials {
  /** The .p8 signing key (PKCS #8 PEM). */
  key: string;
  keyId: string;
  teamId: string;
  /** The app's bundle id (apns-topic). */
  topic: string;
}

/** APNs refuses a provider token older than an hour and one renewed more than every 20 minutes. */
const TOKEN_LIFETIME_MS = 50 * 60_000;
/** apns-collapse-id may not exceed 64 bytes. */
const COLLAPSE_ID_MAX = 64;

const collapseIdOf = (key: string) =>
  Buffer.byteLength(key) <= COLLAPSE_ID_MAX ? key : createHash('sha256').update(key).digest('base64url');

/** APNs reasons that say the device token will never work again. */
const DEAD_REASONS = new Set(['BadDeviceToken', 'Unregistered', 'DeviceTokenNotForTopic']);

/**
 * Apple Push Notification service over HTTP/2 with token-based (.p8) authentication: an ES256
 * provider JWT (kid, iss = team, iat) renewed every 50 minutes, `POST /3/device/<token>` with
 * apns-topic, apns-push-type, apns-priority (10 high, 5 normal), apns-expiration and
 * apns-collapse-id; the thread id groups a conversation on the device, the badge is the unread
 * total. A withdrawal is a background push that only sets the badge. `BadDeviceToken` and
 * `Unregistered` (410) say the token is dead.
 */
export class ApnsProvider implements PushProvider {
  readonly name = 'apns';
  readonly #credentials: ApnsCredentials;
  readonly #origin: Http2Origin;
  #jwt: { value: string; renewAt: number } | undefined;

  constructor(credentials: ApnsCredentials, endpoint: string, ca?: string[]) {
    this.#credentials = credentials;
    this.#origin = new Http2Origin(new URL(endpoint).origin, ca);
  }

  async send(target: PushTarget, message: PushMessage): Promise<SendOutcome> {
    const { aps, body } = this.#payload(message);
    let answer: Awaited<ReturnType<Http2Origin['request']>>;
    try {
      answer = await this.#origin.request(
        'POST',
        `/3/device/${encodeURIComponent(target.token)}`,
        {
          authorization: `bearer ${await this.#providerToken()}`,
          'apns-topic': this.#credentials.topic,
          'apns-push-type': message.silent ? 'background' : 'alert',
          // Background pushes must go at priority 5.
          'apns-priority': !message.silent && message.priority === 'high' ? '10' : '5',
          'apns-expiration': String(Math.floor(Date.now() / 1000) + message.ttlSeconds),
          'apns-collapse-id': collapseIdOf(message.collapseKey),
          'content-type': 'application/json',
        },
        JSON.stringify({ aps, ...body }),
      );
    } catch (error) {
      return networkFailure(error);
    }
    if (answer.status === 200) return { ok: true };
    const reason = (parseJson<{ reason?: string }>(answer.body)?.reason ?? '').slice(0, 100);
    const detail = `HTTP ${answer.status} ${reason}`.trim();
    if (answer.status === 410 || DEAD_REASONS.has(reason)) return { ok: false, reason: 'dead-token', detail };
    if (reason === 'ExpiredProviderToken' || reason === 'InvalidProviderToken') {
      this.#jwt = undefined;
      return { ok: false, reason: 'transient', detail };
    }
    if (answer.status === 429 || answer.status >= 500) return { ok: false, reason: 'transient', detail };
    return { ok: false, reason: 'rejected', detail };
  }

  close(): Promise<void> {
    return this.#origin.close();
  }

  #payload(message: PushMessage) {
    const aps = message.silent
      ? { 'content-available': 1, badge: message.badge }
      : {
          alert: { title: message.title, body: message.body },
          badge: message.badge,
          sound: 'default',
          'thread-id': message.collapseKey,
        };
    return { aps, body: message.data };
  }

  async #providerToken(): Promise<string> {
    if (this.#jwt && Date.now() < this.#jwt.renewAt) return this.#jwt.value;
    const key = await importPKCS8(this.#credentials.key, 'ES256');
    const value = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.#credentials.keyId })
      .setIssuer(this.#credentials.teamId)
      .setIssuedAt()
      .sign(key);
    this.#jwt = { value, renewAt: Date.now() + TOKEN_LIFETIME_MS };
    return value;
  }
}
