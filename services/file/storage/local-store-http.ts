import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { codeInfo, ErrorCode, type ErrorCodeValue } from '../../platform/errors.ts';
import { LOCAL_STORE_PATH, type LocalStore } from './local-store.ts';
import type { SignedRequest, UrlSigner } from './url-signer.ts';

/** A single `bytes=` range of an object of `size` bytes; null: the whole object; 'unsatisfiable': 416. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | 'unsatisfiable' {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, or another unit: the whole object, as HTTP allows a server to answer.
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

function refuse(response: ServerResponse, code: ErrorCodeValue, detail: string): void {
  const info = codeInfo(code);
  response.writeHead(info.status, {
    'Content-Type': 'application/json',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(JSON.stringify({ code, message: `${info.en}: ${detail}`, data: null }));
}

/**
 * Serves the local store's signed URLs: GET (with Range) and PUT of one object, each only with a
 * valid, unexpired signature. The answer carries the headers the signature fixed, and `nosniff`.
 */
export function localStoreHandler(store: LocalStore, signer: UrlSigner, maxPutBytes: number) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://local');
    const [bucket, ...keyParts] = url.pathname.slice(LOCAL_STORE_PATH.length + 1).split('/');
    const method =
      request.method === 'PUT'
        ? 'PUT'
        : request.method === 'GET' || request.method === 'HEAD'
          ? 'GET'
          : undefined;
    if (!method || !bucket || keyParts.length === 0)
      return refuse(response, ErrorCode.NOT_FOUND, 'no such object');
    const signed: SignedRequest = {
      method,
      bucket,
      key: keyParts.join('/'),
      expires: Number(url.searchParams.get('expires')),
      contentType: url.searchParams.get('contentType') ?? undefined,
      contentDisposition: url.searchParams.get('contentDisposition') ?? undefined,
    };
    if (!signer.verify(signed, url.searchParams.get('signature') ?? ''))
      return refuse(response, ErrorCode.FILE_URL_EXPIRED, 'bad signature');
    if (!(signed.expires * 1000 > Date.now())) return refuse(response, ErrorCode.FILE_URL_EXPIRED, 'expired');
    if (method === 'PUT') {
      const length = Number(request.headers['content-length']);
      if (!Number.isSafeInteger(length) || length < 0)
        return refuse(response, ErrorCode.INVALID_PARAMS, 'Content-Length required');
      if (length > maxPutBytes)
        return refuse(response, ErrorCode.FILE_TOO_LARGE, `over ${maxPutBytes} bytes`);
      await store.put(signed.bucket, signed.key, request, length);
      response.writeHead(200, { 'Content-Length': '0' });
      response.end();
      return;
    }
    const info = await store.stat(signed.bucket, signed.key);
    if (!info) return refuse(response, ErrorCode.FILE_NOT_FOUND, 'no such object');
    const range = parseRange(request.headers.range, info.size);
    const headers: Record<string, string> = {
      'Accept-Ranges': 'bytes',
      'Content-Type': signed.contentType ?? 'application/octet-stream',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, max-age=300',
    };
    if (signed.contentDisposition) headers['Content-Disposition'] = signed.contentDisposition;
    if (range === 'unsatisfiable') {
      response.writeHead(416, { ...headers, 'Content-Range': `bytes */${info.size}` });
      response.end();
      return;
    }
    const span = range ?? { start: 0, end: info.size - 1 };
    headers['Content-Length'] = String(Math.max(0, span.end - span.start + 1));
    if (range) headers['Content-Range'] = `bytes ${span.start}-${span.end}/${info.size}`;
    response.writeHead(range ? 206 : 200, headers);
    if (request.method === 'HEAD' || info.size === 0) {
      response.end();
      return;
    }
    await pipeline(await store.get(signed.bucket, signed.key, span), response);
  };
}
