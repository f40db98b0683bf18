import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import {
  currentTrace,
  inSpan,
  parseTraceparent,
  runInTrace,
  startSpan,
  tracingEnabled,
} from '../../../common/trace-context.ts';
import type { Logger } from '../logger.ts';
import { type DaprInboundOptions, mountDaprInbound } from '../ports/dapr/inbound.ts';
import { bodyError, refusePrototypeKeys } from './body-errors.ts';
import { languageOf, type RequestState } from './context.ts';
import { errorMiddleware } from './errors-middleware.ts';
import type { Metrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { type AnyRoute, type Authenticators, mountRoutes, type RawHandler } from './routes.ts';

export interface HttpAppOptions {
  logger: Logger;
  bodyLimitKb: number;
  routes: AnyRoute[];
  /** Path prefixes answered outside the route kit (raw bytes, own credentials). */
  rawHandlers?: RawHandler[];
  /** JSON documents served as they are, by path (the gateway's AsyncAPI document). */
  documents?: Record<string, unknown>;
  authenticators: Authenticators;
  /** Whether the app can serve traffic (database reachable, services started). */
  ready: () => Promise<boolean>;
  /** Cluster shape only: what the sidecar delivers to this app. */
  dapr?: Omit<DaprInboundOptions, 'logger'>;
  version: string;
  /** The client's address of a request (`ctx.ip`): the TCP peer unless it is a trusted proxy (client-address.ts). */
  clientAddress: (request: IncomingMessage) => string;
  /** Where request durations are counted; the registry is served on its own port (host.ts), never here. */
  metrics: Metrics;
}

const TRACE_ID = /^[0-9a-f]{32}$/;

function traceIdOf(ctx: Koa.Context): string {
  // W3C traceparent: 00-<trace-id>-<span-id>-<flags>
  const fromTraceparent = ctx.get('traceparent').split('-')[1];
  if (fromTraceparent && TRACE_ID.test(fromTraceparent)) return fromTraceparent;
  const requestId = ctx.get('x-request-id');
  if (/^[A-Za-z0-9._-]{8,64}$/.test(requestId)) return requestId;
  return randomUUID().replaceAll('-', '');
}

/** The Koa app kit: client address, trace ids, access log, metrics, errors, body limits, health, and the routes. */
export function createHttpApp(options: HttpAppOptions): Koa {
  // Koa's own proxy mode would believe X-Forwarded-* from anyone; the address comes from `clientAddress`.
  const app = new Koa({ proxy: false });
  const { metrics } = options;
  let draining = false;

  app.use(async (ctx, next) => {
    ctx.request.ip = options.clientAddress(ctx.req);
    const state = ctx.state as RequestState;
    state.language = languageOf(ctx.get('accept-language'));
    // The trace ids come from the logger itself (its mixin reads the request's span).
    state.logger = options.logger;
    const started = performance.now();
    // Calls to other services made while handling the request carry its trace id, and every line
    // logged meanwhile (the access log too) its trace and span ids. With tracing on the request is
    // a server span (the caller's traceparent its parent) and the trace id is that span's; off, a
    // client's W3C trace id or X-Request-Id names the request.
    const enter = (work: () => Promise<void>) => {
      if (tracingEnabled())
        return inSpan(
          `${ctx.method} ${ctx.path.startsWith('/api/') ? 'api' : ctx.path.split('/')[1] || '/'}`,
          {
            kind: 'server',
            parent: ctx.get('traceparent') || undefined,
            attributes: { 'http.request.method': ctx.method, 'url.path': ctx.path },
          },
          () => {
            state.traceId = currentTrace()!.traceId;
            return work();
          },
        );
      const traceId = traceIdOf(ctx);
      state.traceId = traceId;
      const caller = parseTraceparent(ctx.get('traceparent'));
      return runInTrace(
        startSpan(traceId, caller?.traceId === traceId ? caller.parentSpanId : undefined),
        work,
      );
    };
    await enter(async () => {
      ctx.set('X-Trace-Id', state.traceId);
      await next();
      if (!ctx.path.startsWith('/healthz') && !ctx.path.startsWith('/readyz')) {
        state.logger.info(
          {
            method: ctx.method,
            path: ctx.path,
            status: ctx.status,
            ms: Math.round(performance.now() - started),
          },
          'request',
        );
      }
    });
  });
  app.use(metrics.middleware);
  app.use(errorMiddleware);
  for (const raw of options.rawHandlers ?? [])
    app.use(async (ctx, next) => {
      if (!ctx.path.startsWith(raw.pathPrefix)) return next();
      try {
        await raw.handle(ctx.req, ctx.res);
      } catch (error) {
        // Before the first byte the error middleware answers; after it, only the connection can say so.
        if (!ctx.res.headersSent) throw error;
        ctx.res.destroy();
        options.logger.warn({ err: error, path: ctx.path }, 'raw handler failed mid-answer');
      }
      ctx.respond = false;
    });
  app.use(
    bodyParser({
      enableTypes: ['json'],
      // Dapr delivers pub/sub events as structured CloudEvents.
      // (merged index by index into the defaults, so application/json is listed again first)
      extendTypes: { json: ['application/json', 'application/cloudevents+json'] },
      jsonLimit: `${options.bodyLimitKb}kb`,
      encoding: 'utf-8',
      // Arrays and scalars are valid JSON bodies; schemas decide what each route accepts.
      jsonStrict: false,
      // Whatever the parser cannot read (bad JSON, __proto__ keys, a body that is not the gzip it
      // claims to be) is the client's fault: 400 with a code, not a 500 with a stack in the log.
      onError: (error) => {
        throw bodyError(error);
      },
    }),
  );
  app.use(refusePrototypeKeys);

  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const ready = !draining && (await options.ready().catch(() => false));
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready' };
  });
  const document = openApiDocument(options.routes, { title: 'AnyChat API', version: options.version });
  router.get('/api/v1/openapi.json', (ctx) => {
    ctx.body = document;
  });
  for (const [path, body] of Object.entries(options.documents ?? {}))
    router.get(path, (ctx) => {
      ctx.body = body;
    });
  mountRoutes(router, options.routes, options.authenticators);
  if (options.dapr) mountDaprInbound(router, { ...options.dapr, logger: options.logger });

  app.use(router.routes());
  app.use(router.allowedMethods());
  app.on('error', (error) => options.logger.debug({ err: error }, 'connection error'));
  (app as Koa & { drain?: () => void }).drain = () => {
    draining = true;
  };
  return app;
}

export function markDraining(app: Koa): void {
  (app as Koa & { drain?: () => void }).drain?.();
}
