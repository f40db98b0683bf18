import { z } from 'zod';
import { AppError, ErrorCode } from './errors.ts';
import { isIdInRange, SNOWFLAKE_PATTERN } from './ids.ts';
import { isStorableJson, lineProblem, multilineProblem, nameProblem, storableText } from './text.ts';

/** Validates the body of an internal (service-to-service) call like any outside input. */
export function parseInternal<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new AppError(ErrorCode.INVALID_PARAMS, { detail: z.prettifyError(result.error) });
  return result.data;
}

/** A string schema whose values must pass `problem` (one of the text rules), reported on the field. */
const ruled = <S extends z.ZodType<string>>(schema: S, problem: (value: string) => string | undefined) =>
  schema.superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

const anyJson = z.json();
/**
 * Any JSON value. Its JSON Schema is `{}`, which admits exactly the JSON values, named `JsonValue`
 * in API documents. z.json() itself converts to a union whose arrays refer back to it, which
 * client generators (openapi-typescript) turn into a TypeScript type that tsc refuses (TS2502).
 */
const jsonValue = z.custom<z.infer<typeof anyJson>>((value) => anyJson.safeParse(value).success);
z.globalRegistry.add(jsonValue, { id: 'JsonValue', description: 'Any JSON value' });

/**
 * Common pieces of request schemas. Every free-text field goes through one of the text schemas
 * (rules and reasons in platform/text.ts): invalid Unicode, NUL and control characters are refused
 * with 000001 naming the field, before anything is stored or published.
 */
export const schemas = {
  /** One line of text, trimmed: reasons, remarks, keywords, device names. */
  text: (max: number) => ruled(z.string().trim().max(max), lineProblem),
  /** Text that may span lines (announcements, notices): line breaks and tabs are fine, other control characters are not. */
  multiline: (max: number) => ruled(z.string().trim().max(max), multilineProblem),
  /** A name others see (nickname, group name, group nickname): one line, no invisible or text-direction characters. */
  name: (max: number) => ruled(z.string().trim().max(max), nameProblem),
  /** Message text, kept as sent (not trimmed): line breaks, tabs and bidi marks are fine. */
  body: (max: number) => ruled(z.string().max(max), multilineProblem),
  /** An http(s) URL (avatars, images). */
  url: (max: number) => ruled(z.url({ protocol: /^https?$/ }).max(max), lineProblem),
  /**
   * Text in an event another service published: whatever the producer sent is accepted, made
   * storable and clipped to `max` code units, never refused (an event is not dropped for its content).
   */
  eventText: (max: number) => z.string().transform((value) => storableText(value.slice(0, max))),
  /** Any JSON value whose strings PostgreSQL can store (settings values). */
  json: (maxChars: number) =>
    jsonValue
      .refine((value) => JSON.stringify(value).length <= maxChars, `at most ${maxChars} characters of JSON`)
      .refine(isStorableJson, 'strings must be valid Unicode text without NUL characters'),
  id: z
    .string()
    .regex(SNOWFLAKE_PATTERN, 'must be a numeric id string')
    .refine(isIdInRange, 'is out of range for an id'),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  /**
   * A parsed time (pipe a time parameter into it) that the database can compare with: years 1 to
   * 9999. PostgreSQL has no year 0, and years before 1 or after 9999 make no ISO 8601 string.
   */
  storableDate: z.date().refine((date) => {
    const year = date.getUTCFullYear();
    return year >= 1 && year <= 9999;
  }, 'must be a time between the years 1 and 9999'),
};
