/** Option definitions shared by several commands, validated before anything is sent. */
import type { Options } from 'yargs';
import { parseDuration } from './duration.ts';
import { usageError } from './exit-codes.ts';

/** A whole number in [min, max]: yargs would pass "abc" on as NaN. */
export function integer(name: string, min = 1, max = Number.MAX_SAFE_INTEGER) {
  return (value: unknown) => {
    if (value === undefined) return undefined;
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max)
      throw usageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
    return number;
  };
}

/** A duration option in milliseconds (`30m`, `1h`, `7d`). */
export function duration(name: string) {
  return (value: unknown) => (value === undefined ? undefined : parseDuration(String(value), `--${name}`));
}

export const pageOptions = {
  page: { type: 'string', describe: 'Page number, from 1', coerce: integer('page') },
  'page-size': { type: 'string', describe: 'Items per page (1-100)', coerce: integer('page-size', 1, 100) },
} satisfies Record<string, Options>;

export const yesOption = {
  yes: { alias: 'y', type: 'boolean', describe: 'Do it without asking for confirmation' },
} satisfies Record<string, Options>;

/** Positional ids must not be empty or whitespace (a shell variable that was not set). */
export function requireId(value: unknown, what: string): string {
  const id = String(value ?? '').trim();
  if (!id) throw usageError(`${what} must not be empty`);
  return id;
}
