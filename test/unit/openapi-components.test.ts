import { expect } from 'chai';
import { z } from 'zod';
import { SchemaComponents } from '../../services/platform/http/openapi-components.ts';
import { schemas } from '../../services/platform/validation.ts';

/** Every `$ref` in `node`. */
function refsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [value] : refsIn(value),
  );
}

describe('OpenAPI schema components', () => {
  it('moves a recursive schema into components.schemas, where every reference to it resolves', () => {
    interface Tree {
      label: string;
      children: Tree[];
    }
    const tree: z.ZodType<Tree> = z.lazy(() => z.object({ label: z.string(), children: z.array(tree) }));
    const components = new SchemaComponents();
    const body = components.jsonSchema(z.object({ root: tree }), 'input');

    expect(body).not.to.have.property('$defs');
    const refs = [...refsIn(body), ...refsIn(components.schemas)];
    expect(refs).to.have.length.greaterThan(0);
    for (const ref of refs) {
      expect(ref).to.match(/^#\/components\/schemas\//);
      expect(components.schemas).to.have.property(ref.slice('#/components/schemas/'.length));
    }
  });

  it('stores a named schema once however many routes use it, under its registered name', () => {
    const components = new SchemaComponents();
    components.jsonSchema(z.object({ value: schemas.json(100) }), 'input');
    components.jsonSchema(z.object({ other: schemas.json(5_000) }), 'input');
    components.jsonSchema(z.object({ value: schemas.json(100) }), 'output');
    expect(Object.keys(components.schemas)).to.deep.equal(['JsonValue']);
    // `{}` admits any JSON value, with no union whose arrays refer back to it (tsc refuses the generated type).
    expect(components.schemas.JsonValue).to.deep.equal({ description: 'Any JSON value' });
  });
});
