// Builds the web client (web/) into web/dist with Vite when its sources or the locked dependencies
// changed since the last build, so `npm start` and `npm test` serve an up-to-date client from a fresh
// clone and a second run costs a hash of the sources. Plain Node, run after scripts/ensure-deps.mjs.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const web = join(root, 'web');
const dist = join(web, 'dist');
const marker = join(dist, '.build-hash');

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (path === dist || entry.name === 'node_modules') continue;
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.isFile()) yield path;
  }
}

const hash = createHash('sha256');
hash.update(readFileSync(join(root, 'package-lock.json')));
for (const path of sources(web)) hash.update(`\0${relative(web, path)}\0`).update(readFileSync(path));
const digest = hash.digest('hex');
if (existsSync(marker) && readFileSync(marker, 'utf8') === digest) process.exit(0);

console.error('[web] building the web client (vite build)');
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/vite/bin/vite.js'),
    'build',
    '--config',
    join(web, 'vite.config.ts'),
    '--logLevel',
    'warn',
  ],
  { stdio: 'inherit', cwd: root },
);
writeFileSync(marker, digest);
