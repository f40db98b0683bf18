/**
 * What the platform accepts as text, in one place. Request schemas (`schemas.text`, `.multiline`,
 * `.name`, `.body` in http/routes.ts) refuse what breaks these rules with 000001 naming the field;
 * `storableText` is the last line for text that reaches PostgreSQL some other way (events, jsonb).
 *
 * Why each rule:
 * - A lone surrogate (half of a UTF-16 pair) is not Unicode text: PostgreSQL's jsonb refuses its
 *   `\ud800` escape and a text column silently stores U+FFFD instead, so what was stored and what
 *   was announced differ (and the event that announced it fails in every consumer).
 * - NUL and other control characters cannot be stored (NUL) or display as nothing or as line
 *   breaks where one line is expected; multi-line text keeps tabs and line breaks.
 * - Names (nicknames, group names, group nicknames) also refuse what can make one name pass for
 *   another: direction overrides and isolates (U+202E shows "…gnp.exe" as "…exe.png") and
 *   characters that render as nothing (zero-width spaces, word joiners, Hangul fillers, tags).
 *   They are refused, not stripped: a silent edit would store something other than what the user
 *   typed and saw, and an error says what to fix. Joiners and variation selectors inside a visible
 *   sequence stay allowed, as scripts and emoji need them (Persian ZWNJ, 👩‍👩‍👧, ❤️, 🏴󠁧󠁢󠁳󠁣󠁴󠁿, Mongolian).
 *   Message text keeps all of these: bidi marks are how mixed Arabic/Hebrew and Latin text is
 *   written, and a message shows who sent it.
 */

/** Control characters (Unicode category Cc). */
const CONTROL = /\p{Cc}/u;
/** Control characters other than tab, line feed and carriage return. */
const CONTROL_BUT_LINE_BREAKS = /[^\P{Cc}\t\n\r]/u;
/** Line and paragraph separators: line breaks that are not control characters. */
const LINE_SEPARATOR = /[\p{Zl}\p{Zp}]/u;

/**
 * Characters that render as nothing or reorder what follows: format characters (Cf), Unicode's
 * default-ignorable code points and bidirectional controls.
 */
const INVISIBLE_OR_BIDI = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u;
/** A visible character: not whitespace, not a control, not invisible. */
const VISIBLE = String.raw`[^\s\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]`;
/** Invisible characters that are part of what a visible sequence looks like, in their contexts. */
const JOINED_SEQUENCES = [
  // Variation selectors right after a visible character (❤️, text/emoji presentation, CJK variants).
  new RegExp(String.raw`(?<=${VISIBLE})[\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]+`, 'gu'),
  // Subdivision flags: a black flag, tag letters, a cancel tag.
  /(?<=\u{1F3F4})[\u{E0020}-\u{E007E}]+\u{E007F}/gu,
  // Mongolian free variation selectors and vowel separator after a Mongolian letter.
  /(?<=\p{Script=Mongolian})[\u{180B}-\u{180F}]+/gu,
];
/** Zero-width (non-)joiners between two visible characters (emoji ZWJ sequences, Persian, Indic). */
const JOINER = new RegExp(String.raw`(?<=${VISIBLE})[\u{200C}\u{200D}](?=${VISIBLE})`, 'gu');

const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `value` is not valid Unicode text, or undefined. */
export function malformedText(value: string): string | undefined {
  if (!value.isWellFormed()) return 'must be valid Unicode text (it holds a lone surrogate)';
  return undefined;
}

/** Why `value` is not one line of text, or undefined. */
export function lineProblem(value: string): string | undefined {
  const malformed = malformedText(value);
  if (malformed) return malformed;
  const control = CONTROL.exec(value) ?? LINE_SEPARATOR.exec(value);
  if (control) return `must not contain control characters or line breaks (${codePoint(control[0])})`;
  return undefined;
}

/** Why `value` is not multi-line text, or undefined: tabs and line breaks are fine. */
export function multilineProblem(value: string): string | undefined {
  const malformed = malformedText(value);
  if (malformed) return malformed;
  const control = CONTROL_BUT_LINE_BREAKS.exec(value);
  if (control) return `must not contain control characters (${codePoint(control[0])})`;
  return undefined;
}

/** Why `value` cannot be a display name, or undefined. */
export function nameProblem(value: string): string | undefined {
  const line = lineProblem(value);
  if (line) return line;
  let rest = value;
  for (const sequence of JOINED_SEQUENCES) rest = rest.replace(sequence, '');
  rest = rest.replace(JOINER, '');
  const hidden = INVISIBLE_OR_BIDI.exec(rest);
  if (hidden) return `must not contain invisible or text-direction characters (${codePoint(hidden[0])})`;
  return undefined;
}

/**
 * Text as PostgreSQL can keep it (text and jsonb): lone surrogates become U+FFFD, as a text column
 * would store them anyway, and NUL (which no PostgreSQL string may hold) becomes U+FFFD too. For
 * text that did not come through a request schema: event payloads, headers, older rows.
 */
export function storableText(value: string): string {
  const wellFormed = value.toWellFormed();
  return wellFormed.includes('\0') ? wellFormed.replaceAll('\0', '\uFFFD') : wellFormed;
}

/** JSON's escapes of what jsonb cannot hold: NUL and lone surrogates (a pair is written as is). */
const UNSTORABLE_ESCAPE = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;

const storableItem = (_key: string, item: unknown): unknown => {
  if (typeof item === 'string') return storableText(item);
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    const entries = Object.entries(item);
    if (entries.some(([key]) => storableText(key) !== key))
      return Object.fromEntries(entries.map(([key, field]) => [storableText(key), field]));
  }
  return item;
};

/**
 * `value` as a jsonb parameter (`json`) and as it will read back (`value`): jsonb refuses `\u0000`
 * and lone surrogates, so a value holding one (text that never went through a request schema)
 * would fail every write; such strings are stored with U+FFFD instead, and `value` is then a copy
 * holding what was stored (publish that, so that what was stored and what was announced agree).
 * The common case costs one JSON.stringify and one test of its result, and returns `value` itself.
 */
export function storableJson<T>(value: T): { json: string; value: T } {
  const json = JSON.stringify(value);
  if (!UNSTORABLE_ESCAPE.test(json)) return { json, value };
  const fixed = JSON.stringify(value, storableItem);
  return { json: fixed, value: JSON.parse(fixed) as T };
}

/** Whether every string in a JSON value (keys too) is storable as it is. */
export function isStorableJson(value: unknown): boolean {
  if (typeof value === 'string') return storableText(value) === value;
  if (Array.isArray(value)) return value.every(isStorableJson);
  if (value && typeof value === 'object')
    return Object.entries(value).every(([key, item]) => storableText(key) === key && isStorableJson(item));
  return true;
}
