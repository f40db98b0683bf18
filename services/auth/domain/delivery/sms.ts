import { AppError, ErrorCode } from '../../../platform/errors.ts';

/** Sends a text message to a phone number (an SMS gateway). */
export interface SmsProvider {
  send(to: string, text: string): Promise<void>;
}

/**
 * A generic HTTP SMS gateway: POSTs `{to, text}` as JSON with `Authorization: Bearer <token>`;
 * any 2xx answer means accepted. Providers with other shapes sit behind a small adapter service.
 */
export class HttpSmsProvider implements SmsProvider {
  readonly #url: string;
  readonly #token: string | undefined;

  constructor(url: string, token: string | undefined) {
    this.#url = url;
    this.#token = token;
  }

  async send(to: string, text: string): Promise<void> {
    await postJson(
      this.#url,
      { to, text },
      this.#token ? { authorization: `Bearer ${this.#token}` } : {},
      'the SMS gateway',
    );
  }
}

/** POSTs JSON; an unreachable gateway or a non-2xx answer is 10118 for the client. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  what: string,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
  } catch (error) {
    throw new AppError(ErrorCode.CODE_DELIVERY_FAILED, {
      detail: `${what} could not be reached`,
      cause: error,
    });
  }
  await response.body?.cancel();
  if (!response.ok) {
    throw new AppError(ErrorCode.CODE_DELIVERY_FAILED, { detail: `${what} answered ${response.status}` });
  }
}
