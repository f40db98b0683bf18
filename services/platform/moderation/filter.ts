/**
 * Case-insensitive substring matching of forbidden words (Chinese included: no word boundaries),
 * with masking that keeps everything but the matched characters.
 */

export interface WordCheck {
  matched: boolean;
  /** The text with every character of every match (overlapping ones included) replaced by `*`. */
  masked: string;
}

/** Lower-cases and de-duplicates a word list, dropping blanks. */
export function normalizeWords(words: readonly string[]): string[] {
  return [...new Set(words.map((word) => word.trim().toLowerCase()).filter(Boolean))];
}

/** Checks `text` against `words` (already normalized: lower-case, non-empty). */
export function checkWords(words: readonly string[], text: string): WordCheck {
  if (words.length === 0 || text.length === 0) return { matched: false, masked: text };
  // Lower-case character by character, remembering which character of `text` each unit comes
  // from: lower-casing may change lengths (İ → i̇), and masks must land on the original characters.
  const chars = [...text];
  let lower = '';
  const source: number[] = [];
  chars.forEach((char, index) => {
    const lowered = char.toLowerCase();
    lower += lowered;
    for (let unit = 0; unit < lowered.length; unit++) source.push(index);
  });
  const masked = new Set<number>();
  for (const word of words) {
    for (let at = lower.indexOf(word); at !== -1; at = lower.indexOf(word, at + 1))
      for (let unit = at; unit < at + word.length; unit++) masked.add(source[unit]!);
  }
  if (masked.size === 0) return { matched: false, masked: text };
  return { matched: true, masked: chars.map((char, index) => (masked.has(index) ? '*' : char)).join('') };
}
