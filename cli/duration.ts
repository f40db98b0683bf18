import { usageError } from './exit-codes.ts';

/** Durations as operators type them: `90s`, `30m`, `1h`, `7d`, `2w`, or combined as `1h30m`. */
const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export function parseDuration(text: string, option = 'duration'): number {
  const trimmed = String(text).trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (trimmed === '' || parts.map((part) => part[0]).join('') !== trimmed) {
    throw usageError(`invalid ${option} "${text}": use a number with a unit, like 90s, 30m, 1h, 7d or 1h30m`);
  }
  const ms = parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * UNITS[unit!]!, 0);
  if (ms <= 0) throw usageError(`invalid ${option} "${text}": must be more than zero`);
  return ms;
}

/** `--since`: a duration back from now (`1h`) or an ISO date (`2026-01-31`, `2026-01-31T12:00:00Z`). */
export function parseSince(text: string, now = Date.now()): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) throw usageError(`invalid --since "${text}": not a valid date`);
    return date.toISOString();
  }
  try {
    return new Date(now - parseDuration(text, '--since')).toISOString();
  } catch {
    throw usageError(
      `invalid --since "${text}": use a duration back from now (1h, 7d) or an ISO date (2026-01-31)`,
    );
  }
}

/** Short ages as kubectl shows them: 45s, 12m, 5h, 3d. */
export function formatAge(from: string | number | Date | null | undefined, now = Date.now()): string {
  if (from === null || from === undefined || from === '') return '-';
  const time = new Date(from).getTime();
  if (Number.isNaN(time)) return '-';
  const seconds = Math.max(0, Math.floor((now - time) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7_200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3_600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
