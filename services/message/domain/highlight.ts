/**
 * Terms of a search keyword, how well a text matches them, and where they are in it.
 * Matching is case-insensitive (as `ILIKE`) and by substring, so it works for text without spaces.
 */

export interface SearchTerm {
  text: string;
  /** Three letters or digits in a row: the trigram index can look the term up. */
  indexable: boolean;
}

/** A piece of a message's text around its first match; ranges are [start, end) UTF-16 offsets into `text`. */
export interface Highlight {
  text: string;
  ranges: Array<[number, number]>;
}

const MAX_TERMS = 5;
/** Characters of context kept before the first match in a highlight. */
const CONTEXT_BEFORE = 20;
const SNIPPET_LENGTH = 100;

export function searchTerms(keyword: string): SearchTerm[] {
  const texts = [...new Set(keyword.trim().split(/\s+/u).filter(Boolean))].slice(0, MAX_TERMS);
  return texts.map((text) => ({ text, indexable: /[\p{L}\p{N}]{3}/u.test(text) }));
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function termPattern(terms: SearchTerm[]): RegExp {
  // Longest first, so a term inside another is not preferred over it.
  const alternatives = terms
    .map((term) => term.text)
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp);
  return new RegExp(alternatives.join('|'), 'giu');
}

function matches(text: string, terms: SearchTerm[]): Array<[number, number]> {
  return [...text.matchAll(termPattern(terms))].map((match) => [match.index, match.index + match[0].length]);
}

/**
 * Relevance of a text that holds every term: the share of the text the terms cover (a short message
 * that is mostly the query first), plus one when the whole keyword appears as typed.
 */
export function rankOf(text: string, terms: SearchTerm[]): number {
  if (text.length === 0) return 0;
  const covered = matches(text, terms).reduce((sum, [start, end]) => sum + (end - start), 0);
  const phrase = terms.map((term) => term.text).join(' ');
  const whole = terms.length > 1 && text.toLowerCase().includes(phrase.toLowerCase()) ? 1 : 0;
  return Math.min(1, covered / text.length) + whole;
}

/** An offset moved back off the second half of a surrogate pair, so a cut never splits a character. */
function unsplit(text: string, offset: number): number {
  const code = text.charCodeAt(offset);
  return offset > 0 && code >= 0xdc00 && code <= 0xdfff ? offset - 1 : offset;
}

export function highlight(text: string, terms: SearchTerm[]): Highlight | null {
  const found = matches(text, terms);
  if (found.length === 0) return null;
  const start = unsplit(text, Math.max(0, found[0]![0] - CONTEXT_BEFORE));
  const end = unsplit(text, Math.min(text.length, start + SNIPPET_LENGTH));
  const prefix = start > 0 ? '…' : '';
  const snippet = `${prefix}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
  const shift = prefix.length - start;
  return {
    text: snippet,
    ranges: found
      .filter(([from, to]) => from >= start && to <= end)
      .map(([from, to]) => [from + shift, to + shift]),
  };
}
