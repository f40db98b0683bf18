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

/** The fields of a Google service-account key file that FCM's OAuth needs. */
export interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  token_uri: string;
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** An access token is renewed this long before it expires. */
const RENEW_BEFORE_MS = 5 * 60_000;

interface FcmError {
  error?: { status?: string; message?: string; details?: Array<{ errorCode?: string }> };
}

/**
 * Firebase Cloud Messaging, HTTP v1 API: OAuth 2.0 with the service account (a JWT signed with
 * its RS256 key, exchanged at its token_uri for an access token, kept until near expiry), then
 * `POST /v1/projects/<project>/messages:send` per device. Priority, collapse key, TTL and the
 * notification count (badge) go in the Android block; a withdrawal is a data-only message.
 * `UNREGISTERED` (404) says the token is dead.
 */
export class FcmProvider implements PushProvider {
  readonly name = 'fcm';
  readonly #account: ServiceAccount;
  readonly #api: Http2Origin;
  readonly #tokens: Http2Origin;
  readonly #tokenPath: string;
  #token: { value: string; renewAt: number } | undefined;

  constructor(account: ServiceAccount, endpoint: string, ca?: string[]) {
    this.#account = account;
    this.#api = new Http2Origin(new URL(endpoint).origin, ca);
    const tokenUri = new URL(account.token_uri);
    this.#tokens = new Http2Origin(tokenUri.origin, ca);
    this.#tokenPath = `${tokenUri.pathname}${tokenUri.search}`;
  }

  async send(target: PushTarget, message: PushMessage): Promise<SendOutcome> {
    let token: string;
    try {
      token = await this.#accessToken();
    } catch (error) {
      return networkFailure(error);
    }
    const body = JSON.stringify({ message: this.#message(target, message) });
    let answer: Awaited<ReturnType<Http2Origin['request']>>;
    try {
      answer = await this.#api.request(
        'POST',
        `/v1/projects/${encodeURIComponent(this.#account.project_id)}/messages:send`,
        { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        body,
      );
    } catch (error) {
      return networkFailure(error);
    }
    if (answer.status === 200) return { ok: true };
    const parsed = parseJson<FcmError>(answer.body)?.error;
    const code = parsed?.details?.find((detail) => detail.errorCode)?.errorCode ?? parsed?.status ?? '';
    const detail = `HTTP ${answer.status} ${code} ${parsed?.message ?? ''}`.trim().slice(0, 500);
    if (code === 'UNREGISTERED' || answer.status === 404) return { ok: false, reason: 'dead-token', detail };
    if (answer.status === 401) {
      // The access token was refused (revoked, clock skew): the next try fetches a new one.
      this.#token = undefined;
      return { ok: false, reason: 'transient', detail };
    }
    if (answer.status === 429 || answer.status >= 500) return { ok: false, reason: 'transient', detail };
    return { ok: false, reason: 'rejected', detail };
  }

  async close(): Promise<void> {
    await Promise.all([this.#api.close(), this.#tokens.close()]);
  }

  #message(target: PushTarget, message: PushMessage) {
    return {
      token: target.token,
      data: { ...message.data, badge: String(message.badge) },
      ...(message.silent ? {} : { notification: { title: message.title, body: message.body } }),
      android: {
        priority: message.priority === 'high' ? 'HIGH' : 'NORMAL',
        collapse_key: message.collapseKey,
        ttl: `${message.ttlSeconds}s`,
        ...(message.silent
          ? {}
          : {
              notification: {
                tag: message.collapseKey,
                notification_count: message.badge,
                sound: 'default',
              },
            }),
      },
    };
  }

  async #accessToken(): Promise<string> {
    if (this.#token && Date.now() < this.#token.renewAt) return this.#token.value;
    const key = await importPKCS8(this.#account.private_key, 'RS256');
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(this.#account.client_email)
      .setAudience(this.#account.token_uri)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
    const answer = await this.#tokens.request(
      'POST',
      this.#tokenPath,
      { 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion,
      }).toString(),
    );
    const granted = parseJson<{ access_token?: string; expires_in?: number }>(answer.body);
    if (answer.status !== 200 || !granted?.access_token) {
      throw new Error(`FCM OAuth token refused: HTTP ${answer.status}`);
    }
    this.#token = {
      value: granted.access_token,
      renewAt: Date.now() + (granted.expires_in ?? 3600) * 1000 - RENEW_BEFORE_MS,
    };
    return this.#token.value;
  }
}
