/**
 * What commands print: `--output json` writes the data as the server returned it (scripts parse
 * that), `--output table` aligned columns for people. Nothing but results goes to stdout; progress
 * and errors go to stderr so a pipe never sees them.
 */
export const OUTPUT_MODES = ['table', 'json'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

export function defaultOutputMode(): OutputMode {
  return process.stdout.isTTY ? 'table' : 'json';
}

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Longer cells are cut with "…" (free text such as message contents). */
  maxWidth?: number;
}

/** A cell as text: absent values as "-", objects as compact JSON, newlines flattened. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'string') return value.replace(/\s*\n\s*/g, ' ');
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

const truncate = (text: string, max: number | undefined) =>
  max !== undefined && text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;

/** Columns padded to their widest cell, headers in capitals, two spaces between (kubectl style). */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) =>
    columns.map((column) => truncate(cell(column.value(row)), column.maxWidth)),
  );
  const headers = columns.map((column) => column.header.toUpperCase());
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** `Key:  value` lines for one object, keys aligned. */
export function renderFields(fields: ReadonlyArray<readonly [string, unknown]>): string {
  const width = Math.max(...fields.map(([key]) => key.length)) + 1;
  return fields.map(([key, value]) => `${`${key}:`.padEnd(width)}  ${cell(value)}`).join('\n');
}

export function printJson(data: unknown): void {
  process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
}

/** Prints `data` as JSON, or the text `table` renders from it. */
export function print<T>(mode: OutputMode, data: T, table: (data: T) => string): void {
  if (mode === 'json') printJson(data);
  else process.stdout.write(`${table(data)}\n`);
}

export function formatDate(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  const date = new Date(value);
  return Number.isNaN(date.getTime())
    ? String(value)
    : date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}
