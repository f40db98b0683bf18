import { type ZodType, z } from 'zod';

export type JsonSchema = Record<string, unknown>;

const DEFS_PREFIX = '#/$defs/';
const COMPONENTS_PREFIX = '#/components/schemas/';
/** The id zod gives a recursive schema that was not registered with one. */
const ANONYMOUS_ID = /^__schema\d+$/;

/** A JSON Pointer segment back to the key it encodes (RFC 6901). */
const decodePointerSegment = (segment: string) => segment.replaceAll('~1', '/').replaceAll('~0', '~');

/** A copy of `node` whose `#/$defs/<id>` references point to `components.schemas` through `names`. */
function rewriteRefs(node: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(node)) return node.map((item) => rewriteRefs(item, names));
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => {
      if (key === '$ref' && typeof value === 'string' && value.startsWith(DEFS_PREFIX)) {
        const name = names.get(decodePointerSegment(value.slice(DEFS_PREFIX.length)));
        if (!name) throw new Error(`JSON Schema refers to an undefined definition ${value}`);
        return [key, `${COMPONENTS_PREFIX}${name}`];
      }
      return [key, rewriteRefs(value, names)];
    }),
  );
}

/**
 * The named schemas of an OpenAPI document. zod writes a recursive schema (such as any JSON value)
 * into the converted schema's own `$defs` and refers to it as `#/$defs/...`; embedded in an
 * OpenAPI document such a reference resolves against the document, where it names nothing. Each
 * definition moves here, under `components.schemas`, and the references follow it. A schema
 * registered with an id (`z.globalRegistry.add(schema, { id })`) keeps that name and is stored
 * once however many routes use it; an unregistered recursive schema gets a numbered name.
 */
export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {};
  private anonymous = 0;

  /** The JSON Schema of `schema` as the document embeds it. */
  jsonSchema(schema: ZodType, io: 'input' | 'output'): JsonSchema {
    const converted = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
    const { $schema: _dialect, $defs, ...body } = converted;
    const definitions = Object.entries(($defs ?? {}) as Record<string, JsonSchema>);
    const names = new Map(
      definitions.map(([id]) => [id, ANONYMOUS_ID.test(id) ? `Recursive${++this.anonymous}` : id]),
    );
    for (const [id, definition] of definitions) this.store(names.get(id)!, rewriteRefs(definition, names));
    return rewriteRefs(body, names) as JsonSchema;
  }

  private store(name: string, definition: unknown): void {
    const existing = this.schemas[name];
    if (existing === undefined) this.schemas[name] = definition as JsonSchema;
    // zod's registry gives an id to one schema only; it can still convert differently as input and output.
    else if (JSON.stringify(existing) !== JSON.stringify(definition))
      throw new Error(`schema ${name} converts to two different JSON Schemas (input and output differ)`);
  }
}
