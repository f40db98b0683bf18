import type { IncomingMessage, ServerResponse } from 'node:http';
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { ZodType } from 'zod';
import { AppError, ErrorCode, type Language } from '../errors.ts';
import { MAX_CLIENT_JSON_DEPTH, nestsDeeperThan } from '../json-depth.ts';
import type { AdminPrincipal, Principal } from '../security/principal.ts';
import { type BotScope, requireScope } from '../security/scopes.ts';
import type { RequestState } from './context.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** `user`: a chat user's access token; `admin`: an admin token holding the route's permission. */
export type Access = 'public' | 'user' | 'admin';

/** What a handler sees of the request: parsed input and who is calling, never the Koa context. */
export interface RouteInput<P, Q, B, A extends Access> {
  params: P;
  query: Q;
  body: B;
  principal: A extends 'user' ? Principal : A extends 'admin' ? undefined : Principal | undefined;
  admin: A extends 'admin' ? AdminPrincipal : undefined;
  request: {
    traceId: string;
    ip: string;
    userAgent: string | undefined;
    /** The `Authorization: Bearer` credential as sent, for routes that take a refresh token there. */
    bearer: string | undefined;
    /** From `Accept-Language`: what the caller reads (mails and texts sent on its behalf). */
    language: Language;
    /**
     * The request as it arrived, for routes that read a body other than JSON as a stream
     * (multipart file uploads; the JSON body parser leaves such a body unread).
     */
    raw: IncomingMessage;
  };
}

export interface RouteSpec<P, Q, B, R, A extends Access> {
  method: HttpMethod;
  /** Koa path with `:params`, under /api/v1. */
  path: string;
  summary: string;
  tags: string[];
  access: A;
  /** Admin routes: the permission the admin's role must grant; absent: any signed-in admin (own session). */
  permission?: A extends 'admin' ? string : never;
  /** User routes a bot token may call when it holds this scope; without one, bot tokens are refused (10122). */
  scope?: A extends 'user' ? BotScope : never;
  params?: ZodType<P>;
  query?: ZodType<Q>;
  body?: ZodType<B>;
  response: ZodType<R>;
  /** Extra middleware (rate limits) run after authentication and before validation. */
  middleware?: Middleware[];
  handler(input: RouteInput<P, Q, B, A>): Promise<R>;
}

/**
 * Requests under a path prefix a service answers itself, outside the JSON envelope (the file
 * service's signed URLs of its local store: object bytes, Range, its own headers). Each checks its
 * own credentials: the route kit's authentication does not run for them.
 */
export interface RawHandler {
  pathPrefix: string;
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: a route table holds routes of any input and output types.
export type AnyRoute = RouteSpec<any, any, any, any, Access>;

/** Declares a route; the same schemas validate requests and produce the OpenAPI document. */
export function defineRoute<
  P = undefined,
  Q = undefined,
  B = undefined,
  R = unknown,
  A extends Access = 'user',
>(spec: RouteSpec<P, Q, B, R, A>): RouteSpec<P, Q, B, R, A> {
  return spec;
}

export interface FieldError {
  field: string;
  message: string;
}

function parse<T>(schema: ZodType<T> | undefined, value: unknown, where: 'params' | 'query' | 'body'): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: FieldError[] = result.error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const detail = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  throw new AppError(ErrorCode.INVALID_PARAMS, { detail, data: { fields } });
}

function bearerOf(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

export type Authenticate = (token: string) => Promise<Principal>;
/** How admin routes check their callers; the admin service provides it. */
export interface AdminAccess {
  authenticate(token: string): Promise<AdminPrincipal>;
  /** An admin tried a route their role does not allow (audited: a sensitive event in itself). */
  denied(
    admin: AdminPrincipal,
    attempt: { permission: string; method: string; path: string; ip: string },
  ): Promise<void>;
}

export interface Authenticators {
  user: Authenticate;
  /** Provided by the admin service; required when an admin route is mounted. */
  admin?: AdminAccess | undefined;
}

function authenticationStep(route: AnyRoute, authenticators: Authenticators): Middleware | undefined {
  if (route.access === 'public') return undefined;
  if (route.access === 'user') {
    return async (ctx, next) => {
      const token = bearerOf(ctx);
      if (!token) throw new AppError(ErrorCode.UNAUTHENTICATED, { detail: 'missing bearer access token' });
      const principal = await authenticators.user(token);
      requireScope(principal, route.scope, `${route.method.toUpperCase()} ${route.path}`);
      (ctx.state as RequestState).principal = principal;
      await next();
    };
  }
  const { admin } = authenticators;
  const { permission } = route;
  if (!admin) throw new Error(`admin route ${route.method} ${route.path} needs the admin authenticator`);
  return async (ctx, next) => {
    const token = bearerOf(ctx);
    if (!token) throw new AppError(ErrorCode.UNAUTHENTICATED, { detail: 'missing bearer admin token' });
    const principal = await admin.authenticate(token);
    if (permission && !principal.permissions.includes(permission)) {
      await admin.denied(principal, { permission, method: ctx.method, path: ctx.path, ip: ctx.ip });
      throw new AppError(ErrorCode.ADMIN_FORBIDDEN, {
        detail: `role ${principal.role} lacks permission ${permission}`,
        data: { permission },
      });
    }
    (ctx.state as RequestState).admin = principal;
    await next();
  };
}

/** Mounts routes on a router: authenticate → route middleware → validate → handler → envelope. */
export function mountRoutes(router: Router, routes: AnyRoute[], authenticators: Authenticators): void {
  for (const route of routes) {
    const steps: Middleware[] = [];
    const authentication = authenticationStep(route, authenticators);
    if (authentication) steps.push(authentication);
    steps.push(...(route.middleware ?? []));
    steps.push(async (ctx) => {
      const state = ctx.state as RequestState;
      const params = parse(route.params, ctx.params, 'params');
      const query = parse(route.query, { ...ctx.query }, 'query');
      const rawBody = (ctx.request as { body?: unknown }).body;
      if (route.body && ctx.request.length && !ctx.is('application/json')) {
        throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'body must be application/json' });
      }
      if (route.body && nestsDeeperThan(rawBody))
        throw new AppError(ErrorCode.INVALID_PARAMS, {
          detail: `body nests deeper than ${MAX_CLIENT_JSON_DEPTH} levels`,
        });
      const body = parse(route.body, rawBody ?? {}, 'body');
      const data = await route.handler({
        params,
        query,
        body,
        principal: state.principal,
        admin: state.admin,
        request: {
          traceId: state.traceId,
          ip: ctx.ip,
          userAgent: ctx.get('user-agent') || undefined,
          bearer: bearerOf(ctx),
          language: state.language,
          raw: ctx.req,
        },
      });
      ctx.status = 200;
      ctx.body = { code: 0, message: 'success', data: data ?? null, traceId: state.traceId };
    });
    router[route.method](route.path, ...steps);
  }
}
