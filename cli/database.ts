/**
 * Direct database access for the commands that work below the admin API (migrations, partitions,
 * the first admin): which URL to use, and database failures as exit codes.
 */
import type { Options } from 'yargs';
import { type SqlExecutor, withPostgres } from '../common/index.ts';
import { CliError, ExitCode, usageError } from './exit-codes.ts';

export const databaseUrlOption = {
  'database-url': {
    type: 'string',
    describe: 'PostgreSQL URL (default: $DATABASE_URL)',
  },
} satisfies Record<string, Options>;

export function requireDatabaseUrl(explicit: string | undefined): string {
  const url = explicit ?? process.env.DATABASE_URL;
  if (!url)
    throw usageError(
      'no database: pass --database-url postgres://user:pass@host:5432/db or set DATABASE_URL',
    );
  if (!/^postgres(ql)?:\/\//.test(url))
    throw usageError('--database-url must start with postgres:// or postgresql://');
  return url;
}

/** The URL without its password, for messages. */
export function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return '(unparsable URL)';
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  'EAI_AGAIN',
]);
/** PostgreSQL refused the login (28000/28P01) or the database does not exist (3D000). */
const REFUSED = new Set(['28000', '28P01', '3D000']);

export function databaseError(error: unknown, url: string): CliError {
  if (error instanceof CliError) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error)?.message ?? String(error);
  if ((code && UNREACHABLE.has(code)) || (!code && /timeout|connect/i.test(message))) {
    return new CliError(
      ExitCode.unreachable,
      `cannot reach the database at ${redacted(url)} (${code ?? message}): is PostgreSQL running? check --database-url`,
    );
  }
  if (code && REFUSED.has(code))
    return new CliError(
      ExitCode.unreachable,
      `the database at ${redacted(url)} refused: ${message}; check --database-url`,
    );
  // SQLSTATE codes are PostgreSQL's own failures; anything else already explains itself.
  return new CliError(ExitCode.failure, typeof code === 'string' ? `database error: ${message}` : message);
}

/** Runs `work` on one connection to `url`, closed afterwards; failures become exit codes. */
export async function withDatabase<T>(url: string, work: (sql: SqlExecutor) => Promise<T>): Promise<T> {
  try {
    return await withPostgres(url, work);
  } catch (error) {
    throw databaseError(error, url);
  }
}
