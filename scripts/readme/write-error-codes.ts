/** Rewrites the business error code table in README.md from services/platform/errors.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCodesTable } from './error-codes-table.ts';

const readme = join(import.meta.dirname, '..', '..', 'README.md');
writeFileSync(readme, errorCodesTable.writeInto(readFileSync(readme, 'utf8')));
console.log('README.md: error code table written');
