/**
 * The first admin, written straight to the database by the services' create-admin entry point
 * (common/entry-points.ts): imctl never loads the admin service into its own process.
 */
import { text } from 'node:stream/consumers';
import {
  type CreatedAdmin,
  ENTRY_POINTS,
  type FirstAdminOutcome,
  type FirstAdminRequest,
} from '../common/index.ts';
import { exitCodeOf, startEntryPoint } from './child.ts';
import { databaseError } from './database.ts';
import { CliError, ExitCode, usageError } from './exit-codes.ts';

export async function createFirstAdmin(
  databaseUrl: string,
  request: FirstAdminRequest,
): Promise<CreatedAdmin> {
  const child = startEntryPoint(ENTRY_POINTS.createAdmin, {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: 'pipe',
  });
  // The password goes through the pipe, never through the environment or the command line.
  child.stdin!.end(JSON.stringify(request));
  const [output, code] = await Promise.all([text(child.stdout!), exitCodeOf(child)]);
  const outcome = lastJsonLine(output);
  if (outcome && 'created' in outcome) return outcome.created;
  if (outcome && 'invalid' in outcome) throw usageError(outcome.invalid.join('; '));
  if (outcome && 'failed' in outcome) throw databaseError(outcome.failed, databaseUrl);
  throw new CliError(ExitCode.failure, `${ENTRY_POINTS.createAdmin} ended (exit ${code}) without a result`);
}

function lastJsonLine(output: string): FirstAdminOutcome | undefined {
  const line = output.trim().split('\n').at(-1);
  try {
    return line ? (JSON.parse(line) as FirstAdminOutcome) : undefined;
  } catch {
    return undefined;
  }
}
