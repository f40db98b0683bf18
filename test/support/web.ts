import { execFileSync } from 'node:child_process';

/** Builds web/dist when its sources changed (what `npm start` and `npm test` do before starting). */
export function buildWebClient(): void {
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { stdio: 'inherit' });
}
