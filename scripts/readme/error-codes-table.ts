/**
 * The README's table of business error codes, rendered from services/platform/errors.ts. The table
 * sits between two markers in README.md; `node scripts/readme/write-error-codes.ts` rewrites it,
 * and test/unit/readme-error-codes.test.ts fails when it is stale.
 */
import { codeInfo, ErrorCode } from '../../services/platform/errors.ts';
import { GeneratedTable } from './generated-table.ts';

/** One row per code, in the order errors.ts declares them: code, constant, status, both messages. */
export function errorCodeRows(): string[][] {
  return Object.entries(ErrorCode).map(([name, code]) => {
    const info = codeInfo(code);
    return [String(code), `\`${name}\``, String(info.status), info.en, info.zh];
  });
}

export const errorCodesTable = new GeneratedTable({
  begin:
    '<!-- error-codes:begin — generated from services/platform/errors.ts by scripts/readme/write-error-codes.ts -->',
  end: '<!-- error-codes:end -->',
  header: ['code', 'name', 'HTTP', 'message (en)', 'message (zh-CN)'],
  rows: errorCodeRows,
});
