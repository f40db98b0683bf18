// Prints what the web client's page loads at first (the scripts and module preloads index.html
// names) and every built asset, raw and gzipped (level 9, as a server or CDN would send them).
// Run after scripts/build-web.mjs; BENCHMARKS.md records the result against the 250 KB budget.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = join(import.meta.dirname, '../web/dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = new Set(
  [
    ...html.matchAll(
      /<(?:script[^>]*\bsrc|link[^>]*rel="(?:modulepreload|stylesheet)"[^>]*\bhref)="\/([^"]+)"/g,
    ),
  ].map((match) => match[1]),
);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
let initialJs = 0;
console.log('| asset | initial | raw | gzipped |\n| --- | --- | ---: | ---: |');
for (const name of readdirSync(join(dist, 'assets')).sort()) {
  const path = `assets/${name}`;
  const body = readFileSync(join(dist, path));
  const gzipped = gzipSync(body, { level: 9 }).length;
  if (initial.has(path) && name.endsWith('.js')) initialJs += gzipped;
  console.log(`| ${path} | ${initial.has(path) ? 'yes' : 'no'} | ${kb(body.length)} | ${kb(gzipped)} |`);
}
console.log(`\ninitial JavaScript: ${kb(initialJs)} gzipped (budget 250 KB)`);
