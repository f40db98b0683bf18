import {
  networkFailure,
  outcomeOfStatus,
  type PushMessage,
  type PushProvider,
  type PushTarget,
  type SendOutcome,
} from './provider.ts';

export interface WebhookSettings {
  /** The name registrations use (`jpush`, `getui`, `acme-push`...). */
  name: string;
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
}

const TIMEOUT_MS = 10_000;

/**
 * A provider added by configuration (PUSH_WEBHOOK_PROVIDERS): each push is POSTed as JSON
 * (`{target: {userId, deviceId, platform, token, language}, message}`) to a relay that speaks to a
 * regional service (JPush, Getui, the seed's Android options) or to the operator's own system.
 * It answers like a push service: 2xx sent, 404/410 the token is dead, 429/5xx try again.
 */
export class WebhookProvider implements PushProvider {
  readonly name: string;
  readonly #settings: WebhookSettings;

  constructor(settings: WebhookSettings) {
    this.name = settings.name;
    this.#settings = settings;
  }

  async send(target: PushTarget, message: PushMessage): Promise<SendOutcome> {
    try {
      const answer = await fetch(this.#settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.#settings.token ? { authorization: `Bearer ${this.#settings.token}` } : {}),
        },
        body: JSON.stringify({
          target: {
            userId: target.userId,
            deviceId: target.deviceId,
            platform: target.platform,
            token: target.token,
            language: target.language,
          },
          message,
        }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await answer.body?.cancel();
      return outcomeOfStatus(answer.status, `HTTP ${answer.status}`);
    } catch (error) {
      return networkFailure(error);
    }
  }
}
