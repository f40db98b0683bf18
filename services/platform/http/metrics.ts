import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Next } from 'koa';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { platformMetrics } from '../observability/metrics.ts';
import { droppedEvents } from '../ports/delivery-metrics.ts';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registry.registerMetric(droppedEvents);
  for (const metric of platformMetrics) registry.registerMetric(metric);
  const requestDuration = new Histogram({
    name: 'anychat_http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  async function middleware(ctx: Context, next: Next) {
    const stop = requestDuration.startTimer();
    try {
      await next();
    } finally {
      // The route pattern, not the path: ids in paths would explode the label set.
      const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      stop({ method: ctx.method, route: String(route), status: String(ctx.status) });
    }
  }
  return { registry, middleware };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The Prometheus scrape endpoint (`GET /metrics`), served on a port of its own (`METRICS_PORT`):
 * the cluster's scraper reaches it through the pod or Service port, clients of the API never do.
 */
export function metricsListener(registry: Registry) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  };
}
