import type { ZodType } from 'zod';
import { type JsonSchema, SchemaComponents } from './openapi-components.ts';
import type { Access, AnyRoute } from './routes.ts';

/** The security scheme of each realm: chat users and platform administrators hold different tokens. */
const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      "A chat user's access token from POST /api/v1/auth/login (or /auth/refresh), or a bot token from " +
      'POST /api/v1/bots/{botId}/tokens: a bot token is accepted only on routes with `x-bot-scope`, when it holds that scope.',
  },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      "An administrator's token from POST /api/v1/admin/auth/login; a chat user's token is refused. " +
      'Routes with `x-permission` also need a role that grants that permission.',
  },
} as const;

/** What each kind of route declares: public routes say so with an empty requirement. */
const SECURITY: Record<Access, Array<Record<string, string[]>>> = {
  public: [],
  user: [{ bearerAuth: [] }],
  admin: [{ adminToken: [] }],
};

const envelope = (data: JsonSchema): JsonSchema => ({
  type: 'object',
  required: ['code', 'message', 'data', 'traceId'],
  properties: {
    code: {
      type: 'integer',
      description: 'Business code: 0 on success, otherwise one of the error codes listed in the README',
    },
    message: { type: 'string' },
    data,
    traceId: { type: 'string' },
  },
});

const ERROR_RESPONSE = { $ref: '#/components/responses/Error' };

function parameters(
  components: SchemaComponents,
  schema: ZodType | undefined,
  location: 'path' | 'query',
): JsonSchema[] {
  if (!schema) return [];
  const object = components.jsonSchema(schema, 'input');
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    schema: property,
    ...(property.description ? { description: property.description } : {}),
  }));
}

export interface DocumentInfo {
  title: string;
  version: string;
}

/** OpenAPI 3.1 document generated from the same schemas that validate requests. */
export function openApiDocument(routes: AnyRoute[], info: DocumentInfo): JsonSchema {
  const components = new SchemaComponents();
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method] = {
      summary: route.summary,
      tags: route.tags,
      operationId: `${route.method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      security: SECURITY[route.access],
      ...(route.access === 'admin' && route.permission ? { 'x-permission': route.permission } : {}),
      ...(route.access === 'user' && route.scope ? { 'x-bot-scope': route.scope } : {}),
      parameters: [
        ...parameters(components, route.params, 'path'),
        ...parameters(components, route.query, 'query'),
      ],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: components.jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses: {
        '200': {
          description: 'Success',
          content: {
            'application/json': { schema: envelope(components.jsonSchema(route.response, 'output')) },
          },
        },
        '4XX': ERROR_RESPONSE,
        '5XX': ERROR_RESPONSE,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { ...info, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    // Relative to where this document is served: the host (or ingress) that served it serves the API.
    servers: [{ url: '/', description: 'The host that serves this document' }],
    paths,
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: { ...components.schemas, ErrorEnvelope: envelope({}) },
      responses: {
        Error: {
          description: 'Error envelope: `code` names the error, `message` says it in the request language',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
        },
      },
    },
  };
}
