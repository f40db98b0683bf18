import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AppError, ErrorCode } from '../../../platform/errors.ts';
import { type ResolvedAddress, resolveAllowed, serverFetchableUrl } from './address-policy.ts';

export interface FetchLimits {
  /** Private, loopback and link-local addresses allowed (a deployment on a private network). */
  allowPrivate: boolean;
  /** For the whole fetch, redirects included. */
  timeoutMs: number;
  /** Bytes of the page read at most; the rest is never downloaded (the meta tags are in its head). */
  maxBytes: number;
  maxRedirects: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const HTML_TYPES = ['text/html', 'application/xhtml+xml'];

const failed = (detail: string) => new AppError(ErrorCode.LINK_PREVIEW_FAILED, { detail });

/** An http(s) URL without credentials, or 50134. */
export function previewableUrl(value: string): URL {
  return serverFetchableUrl(value, (why) => new AppError(ErrorCode.LINK_PREVIEW_REFUSED, { detail: why }));
}

/**
 * Fetches an HTML page for its preview. Every hop (the URL, then each redirect) is resolved once,
 * all its addresses checked, and the connection made to the checked address (TLS still verifies
 * the name); at most `maxRedirects` redirects, `maxBytes` bytes and `timeoutMs` in all.
 */
export async function fetchPage(start: string, limits: FetchLimits): Promise<{ url: string; html: string }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
  try {
    let url = previewableUrl(start);
    for (let hop = 0; ; hop++) {
      const target = await resolveAllowed(url.hostname, limits.allowPrivate);
      const response = await get(url, target, controller.signal);
      const location = response.headers.location;
      if (REDIRECTS.has(response.statusCode ?? 0) && location) {
        response.destroy();
        if (hop >= limits.maxRedirects) throw failed(`more than ${limits.maxRedirects} redirects`);
        url = previewableUrl(new URL(location, url).href);
        continue;
      }
      if (response.statusCode !== 200) {
        response.destroy();
        throw failed(`the site answered ${response.statusCode}`);
      }
      const type = response.headers['content-type'] ?? '';
      if (!HTML_TYPES.some((html) => type.toLowerCase().startsWith(html))) {
        response.destroy();
        throw failed(`the link is not an HTML page (${type.slice(0, 100) || 'no type'})`);
      }
      return { url: url.href, html: decode(await head(response, limits.maxBytes), type) };
    }
  } catch (error) {
    if (controller.signal.aborted) throw failed(`no answer within ${limits.timeoutMs} ms`);
    if (error instanceof AppError) throw error;
    throw failed((error as Error).message);
  } finally {
    clearTimeout(timer);
  }
}

function get(url: URL, target: ResolvedAddress, signal: AbortSignal): Promise<IncomingMessage> {
  // The checked address, whatever the name would resolve to now (both lookup forms Node uses).
  const lookup = ((_host, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as LookupFunction;
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'GET',
        signal,
        lookup,
        agent: false,
        headers: { 'user-agent': 'AnyChat-LinkPreview/1.0', accept: HTML_TYPES.join(', ') },
      },
      resolve,
    );
    request.on('error', reject);
    request.end();
  });
}

/** The first `maxBytes` bytes of the body; the connection is closed once they are read. */
async function head(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= maxBytes) break;
  }
  response.destroy();
  return Buffer.concat(chunks).subarray(0, maxBytes);
}

function decode(bytes: Buffer, contentType: string): string {
  const charset = /charset=["']?([\w-]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}
