// Installs the locked dependencies when node_modules is missing or older than package-lock.json,
// so `npm start` and `npm test` work from a fresh clone. Plain Node, no dependencies of its own.
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 17)) {
  console.error(
    `AnyChat needs Node >= 22.17 (this is ${process.version}). Run it through scripts/node24, e.g. scripts/node24 npm test`,
  );
  process.exit(1);
}
const lock = readFileSync('package-lock.json');
const hash = createHash('sha256').update(lock).digest('hex');
const marker = 'node_modules/.anychat-lock-hash';
if (existsSync(marker) && readFileSync(marker, 'utf8') === hash) process.exit(0);
// `npm ci`, as the Dockerfile does: exactly the lockfile, or a loud failure when package.json and the
// lockfile disagree (test/image/dockerfile.test.ts runs the image's install from a clean copy).
console.error('[deps] installing locked dependencies');
execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
writeFileSync(marker, hash);
