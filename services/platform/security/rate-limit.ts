import type { Context, Middleware } from 'koa';
import { AppError, ErrorCode } from '../errors.ts';

export interface RateLimitOptions {
  /** Requests allowed per window for one key. */
  limit: number;
  windowMs: number;
  /** What is limited: by default the client address. */
  key?: (ctx: Context) => string;
}

/**
 * Fixed-window limiter kept in this process's memory: cheap enough for every request, per instance
 * (limits multiply by replicas). Abuse that must be counted across instances (failed logins) is
 * counted in the state store by its domain instead.
 */
export function rateLimit(name: string, options: RateLimitOptions): Middleware {
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = Date.now();
  return async (ctx, next) => {
    const now = Date.now();
    if (now - lastSweep > options.windowMs) {
      for (const [key, window] of windows) if (now - window.start >= options.windowMs) windows.delete(key);
      lastSweep = now;
    }
    const key = options.key?.(ctx) ?? ctx.ip;
    let window = windows.get(key);
    if (!window || now - window.start >= options.windowMs) {
      window = { start: now, count: 0 };
      windows.set(key, window);
    }
    if (++window.count > options.limit) {
      const retryAfter = Math.ceil((window.start + options.windowMs - now) / 1000);
      throw new AppError(ErrorCode.TOO_MANY_REQUESTS, {
        detail: `${name}: limit of ${options.limit} per ${options.windowMs / 1000}s`,
        headers: { 'Retry-After': String(retryAfter) },
      });
    }
    await next();
  };
}
