import { z } from 'zod';
import { AppError, ErrorCode } from './errors.ts';
import type { Logger } from './logger.ts';
import type { CloudEvent, Subscription } from './ports/index.ts';

/** Validates the body of an internal (service-to-service) call like any outside input. */
export function parseInternal<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new AppError(ErrorCode.INVALID_PARAMS, { detail: z.prettifyError(result.error) });
  return result.data;
}

/**
 * A subscription that parses each event's data with `schema` first. An event it cannot read is
 * dropped with a log line (redelivering it cannot help); the others go to `handle` (a throw means
 * RETRY, as for every handler).
 */
export function validatedSubscription<T>(spec: {
  pubsubName: string;
  topic: string;
  schema: z.ZodType<T>;
  logger: Logger;
  /** Returns 'RETRY' or 'DROP' to say so; whatever else it returns counts as SUCCESS. */
  handle(data: T, event: CloudEvent): Promise<unknown>;
}): Subscription {
  return {
    pubsubName: spec.pubsubName,
    topic: spec.topic,
    async handle(event: CloudEvent) {
      const parsed = spec.schema.safeParse(event.data);
      if (!parsed.success) {
        spec.logger.warn(
          { topic: spec.topic, eventId: event.id, issues: parsed.error.issues },
          'malformed event dropped',
        );
        return 'DROP';
      }
      const result = await spec.handle(parsed.data, event);
      return result === 'RETRY' || result === 'DROP' ? result : 'SUCCESS';
    },
  };
}
