/**
 * Runs the buf CLI (from the @bufbuild/buf package) in proto/, with node_modules/.bin on PATH so
 * that buf.gen.yaml finds the protoc-gen-es plugin. buf needs no network here: proto/ has no BSR
 * dependencies.
 */
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const protoRoot = join(repoRoot, 'proto');
/** Where buf.gen.yaml writes the TypeScript (its `out`, seen from the repository root). */
export const generatedRoot = join(repoRoot, 'services', 'platform', 'contracts', 'gen');
/** The contracts as last released; `buf breaking` compares proto/ with it. */
export const baselineImage = join(protoRoot, 'breaking-baseline.binpb');

const bin = join(repoRoot, 'node_modules', '.bin');

/** Runs `buf <args>` in proto/; throws with buf's output when it fails. */
export function buf(args: string[]): string {
  const result = spawnSync(join(bin, 'buf'), args, {
    cwd: protoRoot,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`buf ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`.trimEnd());
  }
  return result.stdout;
}
