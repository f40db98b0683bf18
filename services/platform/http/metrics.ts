import type { Context, Next } from 'koa';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { droppedEvents } from '../ports/delivery-metrics.ts';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registry.registerMetric(droppedEvents);
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
