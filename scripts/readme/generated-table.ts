/**
 * A Markdown table generated from the code, kept in README.md between two markers: rendered as
 * the formatter lays tables out, rewritten by a script, and read back by a test that fails when
 * the README's copy is stale.
 */

const cell = (text: string) => text.replaceAll('|', '\\|');

/** East Asian wide and fullwidth characters take two columns, as the Markdown formatter counts them. */
const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u;
const widthOf = (text: string) => [...text].reduce((sum, char) => sum + (WIDE.test(char) ? 2 : 1), 0);
const padded = (text: string, width: number) => text + ' '.repeat(width - widthOf(text));

export class GeneratedTable {
  readonly #begin: string;
  readonly #end: string;
  readonly #header: string[];
  readonly #rows: () => string[][];

  constructor(options: { begin: string; end: string; header: string[]; rows: () => string[][] }) {
    this.#begin = options.begin;
    this.#end = options.end;
    this.#header = options.header;
    this.#rows = options.rows;
  }

  rows(): string[][] {
    return this.#rows();
  }

  /** The rows as a Markdown table, columns padded to one width as the formatter lays them out. */
  markdown(): string {
    const rows = [this.#header, ...this.#rows()].map((row) => row.map(cell));
    const widths = this.#header.map((_, column) => Math.max(3, ...rows.map((row) => widthOf(row[column]!))));
    const line = (row: string[]) =>
      `| ${row.map((text, column) => padded(text, widths[column]!)).join(' | ')} |`;
    const rule = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`;
    return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
  }

  /** `readme` with the text between the markers replaced by the current table. */
  writeInto(readme: string): string {
    const begin = readme.indexOf(this.#begin);
    const end = readme.indexOf(this.#end);
    if (begin < 0 || end < begin)
      throw new Error(`README.md lacks the markers ${this.#begin} … ${this.#end}`);
    return `${readme.slice(0, begin + this.#begin.length)}\n\n${this.markdown()}\n\n${readme.slice(end)}`;
  }

  /** The table between the markers of `readme`, as rows of trimmed cells (padding aside), header first. */
  readFrom(readme: string): string[][] {
    const begin = readme.indexOf(this.#begin);
    const end = readme.indexOf(this.#end);
    if (begin < 0 || end < begin) return [];
    return readme
      .slice(begin + this.#begin.length, end)
      .split('\n')
      .filter((line) => line.startsWith('|') && !/^\|[\s|-]+\|$/.test(line))
      .map((line) =>
        line
          .slice(1, -1)
          .split(/(?<!\\)\|/)
          .map((text) => text.trim().replaceAll('\\|', '|')),
      );
  }
}
