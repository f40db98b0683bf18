/**
 * Creates an administrator in DATABASE_URL: how the first admin comes to exist
 * (`imctl admin create --database-url …`). Reads a FirstAdminRequest as JSON on stdin and prints a
 * FirstAdminOutcome as one JSON line (common/entry-points.ts); exits 0 when created, 2 when the
 * input is refused, 1 when anything else fails.
 */
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import type { FirstAdminOutcome, FirstAdminRequest } from '../common/index.ts';
import { createAdminAccount } from './admin/index.ts';

function finish(outcome: FirstAdminOutcome, exitCode: number): void {
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  process.exitCode = exitCode;
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) return finish({ invalid: ['DATABASE_URL is required'] }, 2);
  let request: FirstAdminRequest;
  try {
    // Only parsed here: createAdminAccount validates it.
    request = JSON.parse(await text(process.stdin)) as FirstAdminRequest;
  } catch {
    return finish({ invalid: ['stdin: not a JSON admin request'] }, 2);
  }
  try {
    finish({ created: await createAdminAccount(databaseUrl, request) }, 0);
  } catch (error) {
    if (error instanceof z.ZodError)
      return finish(
        { invalid: error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`) },
        2,
      );
    const code = (error as { code?: unknown }).code;
    finish(
      {
        failed: {
          message: error instanceof Error ? error.message : String(error),
          ...(typeof code === 'string' ? { code } : {}),
        },
      },
      1,
    );
  }
}

await main();
