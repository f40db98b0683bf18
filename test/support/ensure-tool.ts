/**
 * The tools the suites run (MinIO, LiveKit…) come from scripts/test-env/ensure-<tool>.sh, which
 * builds each once per machine and prints its path; a failed build fails the suite loudly.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** Path of the tool's binary, or an error with the script's last lines. */
export async function ensureTool(tool: string, what: string): Promise<string> {
  const script = `scripts/test-env/ensure-${tool}.sh`;
  try {
    const { stdout } = await run(join(ROOT, script), [], { maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim().split('\n').at(-1)!;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`no ${what}: ${script} failed:\n${stderr.split('\n').slice(-20).join('\n')}`);
  }
}
