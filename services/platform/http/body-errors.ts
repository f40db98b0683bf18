import type { Context, Next } from 'koa';
import secureJson from 'secure-json-parse';
import { AppError, ErrorCode } from '../errors.ts';

/** What the body parser (co-body: raw-body, inflation, bourne) throws. */
interface ParserError {
  status?: number;
  type?: string;
  /** zlib's codes (`Z_DATA_ERROR`, `Z_BUF_ERROR`) when the body is not the gzip or deflate it claims to be. */
  code?: string;
  message?: string;
}

/**
 * A request body the parser could not read, as the client's error (400, or 413 for size): it is
 * never the server's fault, so it is answered with a code and logged at most as one debug line.
 * The detail names the problem without echoing the body.
 */
export function bodyError(error: unknown): AppError {
  const e = (error ?? {}) as ParserError;
  if (e.status === 413 || e.type === 'entity.too.large') return new AppError(ErrorCode.PAYLOAD_TOO_LARGE);
  if (e.status === 415 || e.type === 'encoding.unsupported')
    return new AppError(ErrorCode.INVALID_PARAMS, {
      detail: 'unsupported Content-Encoding (identity, gzip, deflate or br)',
    });
  if (typeof e.code === 'string' && e.code.startsWith('Z_'))
    return new AppError(ErrorCode.INVALID_PARAMS, {
      detail: 'the body is not valid data for its Content-Encoding',
    });
  if (/prototype/.test(e.message ?? ''))
    return new AppError(ErrorCode.INVALID_PARAMS, {
      detail: 'malformed JSON body: "__proto__" and "constructor.prototype" keys are not accepted',
    });
  if (e.type === 'request.aborted' || e.type === 'request.size.invalid')
    return new AppError(ErrorCode.INVALID_PARAMS, { detail: 'incomplete body' });
  return new AppError(ErrorCode.INVALID_PARAMS, { detail: 'malformed JSON body' });
}

/**
 * Refuses a parsed body holding `constructor.prototype` (the parser already refuses `__proto__`):
 * prototype-pollution payloads are never input to this API, whatever route they are sent to.
 */
export async function refusePrototypeKeys(ctx: Context, next: Next): Promise<void> {
  const body = (ctx.request as { body?: unknown }).body;
  if (body !== null && typeof body === 'object') {
    try {
      secureJson.scan(body, { protoAction: 'error', constructorAction: 'error' });
    } catch (error) {
      throw bodyError(error);
    }
  }
  await next();
}
