import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { resolveAllowed, serverFetchableUrl } from '../domain/link-preview/address-policy.ts';

/** Bytes of a delivery's body at most (a message's content is far smaller; this bounds what we send). */
export const MAX_DELIVERY_BYTES = 256 * 1024;

export interface PostLimits {
  allowPrivate: boolean;
  timeoutMs: number;
}

/** How one attempt went: `retry` (the receiver may take it later) or `refused` (it never will). */
export type PostOutcome = { ok: true } | { ok: false; retry: boolean; error: string };

/** 50136 unless the URL is http(s), without credentials, to a host whose every address is allowed. */
export async function checkWebhookUrl(value: string, allowPrivate: boolean): Promise<URL> {
  const url = serverFetchableUrl(
    value,
    (why) => new AppError(ErrorCode.WEBHOOK_URL_REFUSED, { detail: why }),
  );
  await pinnedAddress(url, allowPrivate);
  return url;
}

/** The link previews' address policy (one check for the whole server), its refusals as 50136. */
async function pinnedAddress(url: URL, allowPrivate: boolean) {
  try {
    return await resolveAllowed(url.hostname, allowPrivate);
  } catch (error) {
    const detail = error instanceof AppError ? error.detail : String(error);
    throw new AppError(ErrorCode.WEBHOOK_URL_REFUSED, { detail: detail ?? `${url.hostname} is not allowed` });
  }
}

/**
 * POSTs one delivery. The host is resolved once per attempt and every address checked (a name
 * that now points inside the network is refused even if it did not when registered), and the
 * connection goes to the checked address. Redirects are not followed; 2xx is success, 408, 429
 * and 5xx are retried, any other answer is final; the answer's body is not read.
 */
export async function postDelivery(
  target: string,
  headers: Record<string, string>,
  body: string,
  limits: PostLimits,
): Promise<PostOutcome> {
  let address: Awaited<ReturnType<typeof pinnedAddress>>;
  const url = new URL(target);
  try {
    address = await pinnedAddress(url, limits.allowPrivate);
  } catch (error) {
    return { ok: false, retry: false, error: (error as AppError).detail ?? 'address refused' };
  }
  const lookup = ((_host, options, callback) => {
    if (options.all) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  }) as LookupFunction;
  return new Promise<PostOutcome>((settle) => {
    // The whole attempt, a receiver that answers byte by byte included.
    const timer = setTimeout(
      () => request.destroy(new Error(`no answer within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    const resolve = (outcome: PostOutcome) => {
      clearTimeout(timer);
      settle(outcome);
    };
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        lookup,
        agent: false,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'AnyChat-Webhook/1.0',
        },
      },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve({ ok: true });
        const retry = status === 408 || status === 429 || status >= 500;
        resolve({ ok: false, retry, error: `the receiver answered ${status}` });
      },
    );
    request.on('error', (error) => resolve({ ok: false, retry: true, error: error.message }));
    request.end(body);
  });
}
