import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { JsonSchema } from './route-table.ts';

/**
 * Arbitraries for fuzzing, derived from the JSON Schemas the platform serves (request bodies, query
 * and path parameters) or builds (client frames): values that pass the schema, the same values with
 * one part broken, and hostile values of every kind that has broken servers.
 */

/**
 * Real values (ids of things that exist, codes, conversation ids): valid draws use them when they
 * fit; a field named in `byField` draws from its own list instead (`contentType: ['text']`; an
 * empty list for fields that must stay fresh, such as client message ids).
 */
export interface Pool {
  any: readonly string[];
  byField?: Record<string, readonly string[]>;
}

/** Object keys that pollute prototypes when a server merges input into objects. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** Sets a property as data, never as `__proto__`'s accessor: JSON.stringify writes it as a key. */
function define(target: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const control = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));

/** One character that text fields must refuse or keep safely: NUL, controls, lone surrogates, invisible and bidi marks. */
const nastyCharacter = fc.oneof(
  { weight: 3, arbitrary: fc.constant('\u0000') },
  { weight: 3, arbitrary: loneSurrogate },
  { weight: 2, arbitrary: control },
  {
    weight: 1,
    arbitrary: fc.constantFrom('\u007f', '\u0085', '\u2028', '\u202e', '\u200b', '\ufeff', '\uffff'),
  },
);
/** Ordinary text with a nasty character in it: what a text field sees from a careless or hostile client. */
export const nastyText: fc.Arbitrary<string> = fc
  .tuple(fc.string({ maxLength: 8 }), nastyCharacter, fc.string({ maxLength: 8 }))
  .map(([before, nasty, after]) => before + nasty + after);

/** Strings that break things: control characters, NUL, lone surrogates, direction marks, huge ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    '\ud83d',
    '\u202e\u202d',
    '\ufeff',
    '\r\n\t',
    '\u0085\u2028\u2029',
    '%00',
    '%ff',
    '../../etc/passwd',
    "' or 1=1 --",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal template-injection probe.
    '${jndi:x}',
    '{{7*7}}',
    'null',
    '1e309',
    '-0',
    '9223372036854775808',
    '__proto__',
    'constructor',
  ),
  fc.string({
    unit: fc.oneof(control, loneSurrogate, fc.string({ unit: 'binary', maxLength: 1 })),
    maxLength: 20,
  }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .tuple(fc.constantFrom('x', '\u0000', '汉', '😀', '\ud800'), fc.integer({ min: 300, max: 40_000 }))
    .map(([unit, times]) => unit.repeat(times)),
);

const hostileNumber = fc.oneof(
  fc.constantFrom(-1, -0, 0.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e308, -1e308, 5e-324),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Nested arrays or objects `depth` levels deep. */
const deep = fc.tuple(fc.integer({ min: 50, max: 3000 }), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
});

const prototypeObject = fc
  .tuple(fc.constantFrom(...PROTOTYPE_KEYS), fc.jsonValue({ maxDepth: 1 }))
  .map(([key, value]) => {
    const object: Record<string, unknown> = {};
    define(object, key, key === 'constructor' ? { prototype: { polluted: value } } : { polluted: value });
    return object;
  });

/** Any JSON value that a careless server may choke on, at any place of a request. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null, [], {}) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => Array.from({ length: n }, () => 1)),
  },
  { weight: 2, arbitrary: prototypeObject },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

function regexOf(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

function stringFor(schema: JsonSchema, pool: Pool, field: string | undefined): fc.Arbitrary<string> {
  const min = (schema.minLength as number | undefined) ?? 0;
  const declaredMax = schema.maxLength as number | undefined;
  // Only the schema's own bounds: a pattern fixes lengths of its own (a 64-digit hash), and a cap
  // of ours that the pattern cannot meet would make the filter below draw forever.
  const fits = (s: string) => s.length >= min && (declaredMax === undefined || s.length <= declaredMax);
  const pattern = typeof schema.pattern === 'string' ? regexOf(schema.pattern) : undefined;
  const named = field === undefined ? undefined : pool.byField?.[field];
  const real = (named ?? pool.any).filter((value) => fits(value) && (!pattern || pattern.test(value)));
  let made: fc.Arbitrary<string>;
  if (pattern) made = fc.stringMatching(pattern).filter(fits);
  else if (schema.format === 'email') made = fc.emailAddress();
  else if (schema.format === 'uri' || schema.format === 'url') made = fc.webUrl();
  else if (schema.format === 'date-time')
    made = fc.date({ noInvalidDate: true, min: new Date(0) }).map((d) => d.toISOString());
  else made = fc.string({ minLength: min, maxLength: Math.max(min, Math.min(declaredMax ?? 30, 30)) });
  // Real values first: a request that names something that exists reaches the code behind the lookup.
  return real.length > 0
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: made })
    : made;
}

/** Values that pass `schema` (as far as JSON Schema says), drawing ids and codes from `pool`. */
export function validValue(
  schema: JsonSchema,
  pool: Pool,
  depth = 0,
  field: string | undefined = undefined,
): fc.Arbitrary<unknown> {
  if (depth > 6 || schema.$ref !== undefined) return fc.jsonValue({ maxDepth: 2 });
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) return fc.oneof(...union.map((s) => validValue(s, pool, depth + 1, field)));
  const type = Array.isArray(schema.type) ? (schema.type as string[])[0] : schema.type;
  switch (type) {
    case 'string':
      return stringFor(schema, pool, field);
    case 'integer':
    case 'number': {
      const min = (schema.minimum as number | undefined) ?? -1_000_000;
      const max = (schema.maximum as number | undefined) ?? 1_000_000;
      return type === 'integer'
        ? fc.integer({
            min: Math.max(min, Number.MIN_SAFE_INTEGER),
            max: Math.min(max, Number.MAX_SAFE_INTEGER),
          })
        : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(validValue((schema.items as JsonSchema | undefined) ?? {}, pool, depth + 1, field), {
        minLength: (schema.minItems as number | undefined) ?? 0,
        maxLength: Math.min((schema.maxItems as number | undefined) ?? 5, 5),
      });
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = (schema.required ?? []) as string[];
      if (Object.keys(properties).length === 0 && typeof schema.additionalProperties === 'object')
        return fc.dictionary(
          fc.string({ maxLength: 10 }),
          validValue(schema.additionalProperties as JsonSchema, pool, depth + 1),
          { maxKeys: 3 },
        );
      const fields = Object.fromEntries(
        Object.entries(properties).map(([name, property]) => [
          name,
          validValue(property, pool, depth + 1, name),
        ]),
      );
      return fc.record(fields, { requiredKeys: required.filter((name) => name in fields) });
    }
    default:
      // Anything (message content): plain text as often as other JSON, as clients mostly send text.
      return fc.oneof(fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 3 }));
  }
}

/** Every place in a JSON value: the paths of the value itself and of everything inside it. */
function places(value: unknown, path: Array<string | number> = [], into: Array<Array<string | number>> = []) {
  into.push(path);
  if (Array.isArray(value)) for (const [i, item] of value.entries()) places(item, [...path, i], into);
  else if (value && typeof value === 'object')
    for (const key of Object.keys(value))
      places((value as Record<string, unknown>)[key], [...path, key], into);
  return into;
}

const copy = (value: unknown): unknown =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value));

function nodeAt(root: unknown, path: Array<string | number>): unknown {
  let node = root;
  for (const step of path) node = (node as Record<string | number, unknown>)[step];
  return node;
}
const parentOf = (root: unknown, path: Array<string | number>) =>
  nodeAt(root, path.slice(0, -1)) as Record<string | number, unknown>;

/** A copy of `value` with the part at `path` replaced. */
function setAt(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const root = copy(value);
  const parent = parentOf(root, path);
  if (Array.isArray(parent)) parent[path.at(-1) as number] = replacement;
  else define(parent, String(path.at(-1)), replacement);
  return root;
}

/** `value` with the part at place `at` (modulo their number) replaced. */
export function replaceAt(value: unknown, at: number, replacement: unknown): unknown {
  const all = places(value);
  return setAt(value, all[at % all.length]!, replacement);
}

/** `value` with the string at place `at` (modulo the strings in it) replaced; unchanged without strings. */
export function replaceStringAt(value: unknown, at: number, replacement: string): unknown {
  const strings = places(value).filter((path) => typeof nodeAt(value, path) === 'string');
  return strings.length === 0 ? value : setAt(value, strings[at % strings.length]!, replacement);
}

/** `value` without the object field at place `at` (a missing field, required or not). */
export function dropAt(value: unknown, at: number): unknown {
  const root = copy(value);
  const fields = places(root).filter((path) => path.length > 0 && !Array.isArray(parentOf(root, path)));
  if (fields.length === 0) return root;
  const path = fields[at % fields.length]!;
  delete parentOf(root, path)[path.at(-1) as string];
  return root;
}

/** `value` with an extra key (often a prototype key) on the object at place `at`. */
export function addKeyAt(value: unknown, at: number, key: string, extra: unknown): unknown {
  const root = copy(value);
  const objects = places(root).filter((path) => {
    const node = nodeAt(root, path);
    return node !== null && typeof node === 'object' && !Array.isArray(node);
  });
  if (objects.length === 0) return root;
  define(nodeAt(root, objects[at % objects.length]!) as Record<string, unknown>, key, extra);
  return root;
}

const extraKey = fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.string({ maxLength: 12 }));

/**
 * Inputs for `schema`: valid ones, and valid ones with one part of the wrong type or hostile, a
 * field missing, or an extra (prototype) key; now and then something hostile instead of it all.
 */
export function fuzzedValue(schema: JsonSchema, pool: Pool): fc.Arbitrary<unknown> {
  const valid = validValue(schema, pool);
  return fc.oneof(
    { weight: 2, arbitrary: valid },
    {
      weight: 4,
      arbitrary: fc.tuple(valid, fc.nat(), nastyText).map(([v, at, text]) => replaceStringAt(v, at, text)),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(valid, fc.nat(), hostileValue).map(([v, at, bad]) => replaceAt(v, at, bad)),
    },
    { weight: 1, arbitrary: fc.tuple(valid, fc.nat()).map(([v, at]) => dropAt(v, at)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.nat(), extraKey, hostileValue)
        .map(([v, at, key, bad]) => addKeyAt(v, at, key, bad)),
    },
    { weight: 1, arbitrary: hostileValue },
  );
}

/** Percent-encodes every byte outside the unreserved set (lone surrogates become U+FFFD, as in UTF-8). */
export function percentEncode(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** Raw, already-encoded URL pieces that no encoder produces: broken escapes, overlong UTF-8, dots. */
export const badlyEncoded = fc.constantFrom(
  '%',
  '%ZZ',
  '%FF',
  '%C0%AF',
  '%E0%A4',
  '%ED%A0%80',
  '%00',
  '..',
  '%2e%2e',
  '%F4%90%80%80',
);

/** A URL piece (path segment or query value): valid, hostile, or broken in its encoding. */
export function urlPiece(schema: JsonSchema, pool: Pool, field?: string): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: validValue(schema, pool, 0, field).map((v) =>
        percentEncode(typeof v === 'string' ? v : (JSON.stringify(v) ?? '')),
      ),
    },
    // Short enough that the request line stays under Node's header limit: the app answers, not the parser.
    { weight: 1, arbitrary: hostileString.map((s) => percentEncode(s.slice(0, 200))) },
    { weight: 1, arbitrary: nastyText.map(percentEncode) },
    { weight: 1, arbitrary: badlyEncoded },
  );
}

/** A request body as sent: bytes and the headers that say what they are. */
export interface Transport {
  headers: Record<string, string>;
  body: string | Uint8Array<ArrayBuffer>;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const bytes = (...parts: Array<string | number[]>) =>
  new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))));

/** Ways to send a JSON body that are not plain UTF-8 JSON: bad bytes, charsets, encodings, types. */
const oddTransports: Array<(json: string) => Transport> = [
  () => ({ headers: JSON_TYPE, body: bytes('{"a":"', [0xff, 0xfe, 0xc0, 0xaf], '"}') }),
  (json) => ({ headers: JSON_TYPE, body: bytes([0xef, 0xbb, 0xbf], json) }),
  (json) => ({
    headers: { 'content-type': 'application/json; charset=utf-16le' },
    body: new Uint8Array(Buffer.from(json, 'utf16le')),
  }),
  (json) => ({ headers: { 'content-type': 'application/json; charset=bogus' }, body: json }),
  (json) => ({ headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: new Uint8Array(gzipSync(json)) }),
  () => ({ headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, body: bytes([0x1f, 0x8b, 8, 0, 1, 2, 3]) }),
  () => ({ headers: { ...JSON_TYPE, 'content-encoding': 'deflate' }, body: bytes('not deflated') }),
  () => ({ headers: { ...JSON_TYPE, 'content-encoding': 'br' }, body: bytes([0xff, 0xff, 0xff]) }),
  (json) => ({ headers: { ...JSON_TYPE, 'content-encoding': 'x-unknown' }, body: json }),
  // 10 MB of zeros in a few kilobytes: must be refused as too large, not inflated into memory.
  () => ({
    headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
    body: new Uint8Array(gzipSync(`{"a":"${'0'.repeat(10 * 1024 * 1024)}"}`)),
  }),
  (json) => ({
    headers: { ...JSON_TYPE, 'content-encoding': 'deflate' },
    body: new Uint8Array(deflateSync(json)),
  }),
  (json) => ({ headers: { 'content-type': 'text/plain' }, body: json }),
  () => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'a=1&__proto__[polluted]=1',
  }),
  () => ({ headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\n\r\n--x--' }),
  (json) => ({ headers: JSON_TYPE, body: json.slice(0, Math.max(0, json.length - 1)) }),
  (json) => ({ headers: JSON_TYPE, body: `${json} trailing` }),
  () => ({
    headers: JSON_TYPE,
    body: '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}',
  }),
  () => ({ headers: JSON_TYPE, body: '' }),
  // 20,000 levels in 40 KB, deeper than any client can stringify.
  () => ({ headers: JSON_TYPE, body: `{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}` }),
  () => ({ headers: JSON_TYPE, body: 'null' }),
];

/** A body as JSON mostly, and now and then in one of the odd ways. */
export function transport(value: fc.Arbitrary<unknown>): fc.Arbitrary<Transport> {
  const json = value.map((v) => JSON.stringify(v) ?? 'null');
  return fc.oneof(
    { weight: 6, arbitrary: json.map((body) => ({ headers: JSON_TYPE, body })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(json, fc.integer({ min: 0, max: oddTransports.length - 1 }))
        .map(([body, i]) => oddTransports[i]!(body)),
    },
  );
}
