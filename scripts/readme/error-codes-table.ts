/**
 * The README's table of business error codes, rendered from services/platform/errors.ts. The table
 * sits between two markers in README.md; `node scripts/readme/write-error-codes.ts` rewrites it,
 * and test/unit/readme-error-codes.test.ts fails when it is stale.
 */
import { codeInfo, ErrorCode } from '../../services/platform/errors.ts';

export const BEGIN_MARKER =
  '<!-- error-codes:begin — generated from services/platform/errors.ts by scripts/readme/write-error-codes.ts -->';
export const END_MARKER = '<!-- error-codes:end -->';

const HEADER = ['code', 'name', 'HTTP', 'message (en)', 'message (zh-CN)'];

/** One row per code, in the order errors.ts declares them: code, constant, status, both messages. */
export function errorCodeRows(): string[][] {
  return Object.entries(ErrorCode).map(([name, code]) => {
    const info = codeInfo(code);
    return [String(code), `\`${name}\``, String(info.status), info.en, info.zh];
  });
}

const cell = (text: string) => text.replaceAll('|', '\\|');

/** East Asian wide and fullwidth characters take two columns, as the Markdown formatter counts them. */
const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u;
const widthOf = (text: string) => [...text].reduce((sum, char) => sum + (WIDE.test(char) ? 2 : 1), 0);
const padded = (text: string, width: number) => text + ' '.repeat(width - widthOf(text));

/** The rows as a Markdown table, columns padded to one width as the formatter lays them out. */
export function errorCodesTable(): string {
  const rows = [HEADER, ...errorCodeRows()].map((row) => row.map(cell));
  const widths = HEADER.map((_, column) => Math.max(3, ...rows.map((row) => widthOf(row[column]!))));
  const line = (row: string[]) =>
    `| ${row.map((text, column) => padded(text, widths[column]!)).join(' | ')} |`;
  const rule = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

/** `readme` with the text between the markers replaced by the current table. */
export function withErrorCodesTable(readme: string): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < begin)
    throw new Error(`README.md lacks the markers ${BEGIN_MARKER} … ${END_MARKER}`);
  return `${readme.slice(0, begin + BEGIN_MARKER.length)}\n\n${errorCodesTable()}\n\n${readme.slice(end)}`;
}

/** The table between the markers of `readme`, as rows of trimmed cells (padding aside). */
export function tableRowsIn(readme: string): string[][] {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < begin) return [];
  return readme
    .slice(begin + BEGIN_MARKER.length, end)
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s|-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((text) => text.trim()),
    );
}
