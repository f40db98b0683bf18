/** Rewrites the WebSocket frame table in README.md from the gateway's frame schemas. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { framesTable } from './frames-table.ts';

const readme = join(import.meta.dirname, '..', '..', 'README.md');
writeFileSync(readme, framesTable.writeInto(readFileSync(readme, 'utf8')));
console.log('README.md: WebSocket frame table written');
