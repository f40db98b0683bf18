import { z } from 'zod';
import { AppError, ErrorCode } from './errors.ts';

/** Validates the body of an internal (service-to-service) call like any outside input. */
export function parseInternal<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new AppError(ErrorCode.INVALID_PARAMS, { detail: z.prettifyError(result.error) });
  return result.data;
}
