/**
 * Runs every mocha suite (`npm run test:unit`; with file arguments, just those).
 *
 * Some suites need programs built from the Go module proxy (daprd, kube-apiserver and etcd, MinIO,
 * LiveKit, Helm). Cached, they cost nothing and this is one mocha run in the usual order. On a fresh
 * machine the builds take ~45 min on two cores, and most suites need none of them: those run while
 * the builds go on, and the suites that need a Go tool run in a second mocha process once the builds
 * are done. Waiting inside a suite's `before` hook instead would hold the run for the whole build
 * before the first test, and trip the hook's timeout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ENSURE_ALL = join(ROOT, 'scripts/test-env/ensure-all.sh');
const MOCHA = join(ROOT, 'node_modules/.bin/mocha');

/** What in a suite's import graph shows that it runs a Go-built tool. */
const GO_TOOL_USE = /ensure-(daprd|kube|helm|jaeger)\.sh|ensureTool\(\s*'(minio|livekit)'/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return testFiles(path);
      return entry.name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

/** Relative modules a file imports (static or dynamic), resolved to paths. */
function localImports(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].flatMap((match) =>
    match[1] ? [match[1]] : [],
  );
  return specifiers
    .map((specifier) => resolve(dirname(file), specifier))
    .filter((path) => path.endsWith('.ts'));
}

function makeGoToolDetector() {
  const memo = new Map<string, boolean>();
  const usesGoTool = (file: string, visiting = new Set<string>()): boolean => {
    const known = memo.get(file);
    if (known !== undefined) return known;
    if (visiting.has(file)) return false;
    visiting.add(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return false;
    }
    const result =
      GO_TOOL_USE.test(text) || localImports(file, text).some((imported) => usesGoTool(imported, visiting));
    memo.set(file, result);
    return result;
  };
  return usesGoTool;
}

function run(command: string, args: string[], options: { quiet?: boolean } = {}): ChildProcess {
  return spawn(command, args, { cwd: ROOT, stdio: options.quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit' });
}

function exitCode(child: ChildProcess): Promise<number> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done(child.exitCode);
    child.once('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

const mocha = (files: string[]) => exitCode(run(MOCHA, files));

async function main(): Promise<number> {
  const requested = process.argv.slice(2);
  const files = requested.length > 0 ? requested : testFiles(join(ROOT, 'test'));

  // Debian's packages (Chromium, ffmpeg, Prometheus) and the machine's services first: quick, and
  // apt takes one lock, so they are not worth overlapping.
  const prepared = await exitCode(run(ENSURE_ALL, ['apt']));
  if (prepared !== 0)
    console.error(
      '[test] some Debian test tools or services are missing; suites needing them will say which',
    );

  const usesGoTool = makeGoToolDetector();
  const later = files.filter((file) => usesGoTool(resolve(ROOT, file)));
  const now = files.filter((file) => !later.includes(file));
  if (later.length === 0) return mocha(files);

  const builds = run(ENSURE_ALL, ['go'], { quiet: true });
  let buildErrors = '';
  builds.stderr?.on('data', (chunk: Buffer) => {
    buildErrors += chunk.toString();
  });
  const buildsDone = exitCode(builds);
  const cached = await Promise.race([buildsDone.then(() => true), delay(5_000).then(() => false)]);
  if (cached) {
    if ((await buildsDone) !== 0) console.error(buildErrors);
    return mocha(files);
  }

  console.error(
    `[test] building the Go test tools (first run on this machine, ~45 min); meanwhile the ${now.length} ` +
      `suites that need none of them run; the other ${later.length} follow once the builds are done`,
  );
  const first = await mocha(now);
  const built = await buildsDone;
  if (built !== 0) console.error(`[test] a Go test tool failed to build:\n${buildErrors}`);
  console.error(
    `[test] the Go test tools are ready; running: ${later.map((file) => relative(ROOT, file)).join(' ')}`,
  );
  const second = await mocha(later);
  return first || second;
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

process.exitCode = await main();
