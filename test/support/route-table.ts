import type { ApiClient } from './api-client.ts';

/** A JSON Schema as the served OpenAPI document holds it. */
export type JsonSchema = Record<string, unknown>;

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}

/** One operation of the served OpenAPI document, as the suites walk them. */
export interface Operation {
  method: string;
  /** OpenAPI path with `{params}`. */
  template: string;
  /** `METHOD /template`: the key of the authorization case table. */
  key: string;
  access: 'public' | 'user' | 'admin';
  /** Admin routes: the permission the admin's role must grant (none: any admin). */
  permission: string | undefined;
  /** Chat routes a bot token may call: the scope it must hold (none: bot tokens are refused). */
  botScope: string | undefined;
  parameters: Parameter[];
  body: JsonSchema | undefined;
  required: string[];
}

interface OpenApiOperation {
  security?: Array<Record<string, unknown>>;
  'x-permission'?: string;
  'x-bot-scope'?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema & { required?: string[] } }> };
}

/** The operations the platform serves, read from `/api/v1/openapi.json` (the route table). */
export async function fetchOperations(api: ApiClient): Promise<Operation[]> {
  const response = await fetch(`${api.baseUrl}/api/v1/openapi.json`);
  const doc = (await response.json()) as {
    openapi: string;
    paths: Record<string, Record<string, OpenApiOperation>>;
  };
  if (doc.openapi !== '3.1.0') throw new Error(`unexpected OpenAPI version ${doc.openapi}`);
  return Object.entries(doc.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const scheme = Object.keys(op.security?.[0] ?? {})[0];
      const body = op.requestBody?.content['application/json']?.schema;
      return {
        method: method.toUpperCase(),
        template,
        key: `${method.toUpperCase()} ${template}`,
        access: scheme === 'adminToken' ? 'admin' : scheme === 'bearerAuth' ? 'user' : 'public',
        permission: op['x-permission'],
        botScope: op['x-bot-scope'],
        parameters: op.parameters ?? [],
        body,
        required: body?.required ?? [],
      } satisfies Operation;
    }),
  );
}

/** Path parameters that are well formed and name nothing. */
const NOTHING: Record<string, string> = {
  code: 'AAAAAAAAAAAAAAAAAAAAAAAA',
  deviceId: 'nothing',
  key: 'basic.nothing',
  sessionId: 's_999999999998_999999999999',
  secret: 'A'.repeat(43),
};

/** Fills a template's `{params}` from `values`, and the rest with well-formed values that name nothing. */
export function fillPath(template: string, values: Record<string, string> = {}): string {
  if (template.startsWith('/api/v1/sessions/{id}') && values.id === undefined)
    values = { ...values, id: 's_999999999998_999999999999' };
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) =>
    encodeURIComponent(values[name] ?? NOTHING[name] ?? '999999999999'),
  );
}

/** A request target: the template filled with `params`, then `query` as a query string. */
export function requestTarget(
  template: string,
  params: Record<string, string> = {},
  query: Record<string, string> = {},
): string {
  const search = new URLSearchParams(query).toString();
  return search ? `${fillPath(template, params)}?${search}` : fillPath(template, params);
}
