import type { Context, Next } from 'koa';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { AppError, ErrorCode, isAppError, messageFor } from '../errors.ts';
import { EtagMismatchError, StateUnavailableError } from '../ports/state.ts';
import type { RequestState } from './context.ts';

export interface Envelope {
  code: number;
  message: string;
  data: unknown;
  traceId: string;
}

/** Errors thrown by libraries (body parser, router) carry an HTTP status; keep their meaning. */
function fromHttpError(error: { status?: number; type?: string; message?: string }): AppError | undefined {
  if (error.status === 413 || error.type === 'entity.too.large')
    return new AppError(ErrorCode.PAYLOAD_TOO_LARGE);
  if (error.type === 'entity.parse.failed' || (error.status === 400 && /json/i.test(error.message ?? ''))) {
    return new AppError(ErrorCode.INVALID_PARAMS, { detail: 'malformed JSON body' });
  }
  if (error.status === 415)
    return new AppError(ErrorCode.INVALID_PARAMS, { detail: 'unsupported content type' });
  return undefined;
}

export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (error instanceof EtagMismatchError) return new AppError(ErrorCode.CONFLICT, { cause: error });
  if (error instanceof StateUnavailableError) return new AppError(ErrorCode.CACHE_ERROR, { cause: error });
  if (isDatabaseUnavailable(error))
    return new AppError(ErrorCode.SERVICE_UNAVAILABLE, { cause: error, headers: { 'Retry-After': '1' } });
  if (error && typeof error === 'object') {
    const mapped = fromHttpError(error as { status?: number; type?: string });
    if (mapped) return mapped;
  }
  return new AppError(ErrorCode.UNKNOWN, { cause: error });
}

export function envelopeOf(error: AppError, state: RequestState): Envelope {
  const base = messageFor(error.code, state.language);
  // Internal failures keep their details in the log, never in the response.
  const detail = error.status === 500 ? undefined : error.detail;
  return {
    code: error.code,
    message: detail && detail !== base ? `${base}: ${detail}` : base,
    data: error.data,
    traceId: state.traceId,
  };
}

/** The one place where a thrown error becomes a §7 envelope with its §7.2 status. */
export async function errorMiddleware(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new AppError(ErrorCode.NOT_FOUND, { detail: `no route for ${ctx.method} ${ctx.path}` });
    }
    if (ctx.status === 405 || ctx.status === 501) {
      throw new AppError(ErrorCode.NOT_FOUND, { detail: `method ${ctx.method} not allowed on ${ctx.path}` });
    }
  } catch (error) {
    const appError = toAppError(error);
    const state = ctx.state as RequestState;
    if (appError.status >= 500) state.logger.error({ err: error, code: appError.code }, 'request failed');
    else state.logger.debug({ code: appError.code, detail: appError.detail }, 'request refused');
    ctx.status = appError.status;
    ctx.set(appError.headers);
    ctx.body = envelopeOf(appError, state);
  }
}
