import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The operator's Prometheus metrics: reconciles (duration, outcome), the keys waiting for one, and
 * whether this replica leads. Served at /metrics on METRICS_PORT (the chart's PodMonitor scrapes it).
 */
export const operatorRegistry = new Registry();
collectDefaultMetrics({ register: operatorRegistry });

export const reconcileDuration = new Histogram({
  name: 'anychat_operator_reconcile_duration_seconds',
  help: 'Time one ImCluster reconcile took, successful or not',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [operatorRegistry],
});

export const reconciles = new Counter({
  name: 'anychat_operator_reconciles_total',
  help: 'ImCluster reconciles by result (success | error)',
  labelNames: ['result'] as const,
  registers: [operatorRegistry],
});
for (const result of ['success', 'error']) reconciles.inc({ result }, 0);

export const queueDepth = new Gauge({
  name: 'anychat_operator_queue_depth',
  help: 'ImCluster keys waiting for a reconcile (queued or backing off after an error)',
  registers: [operatorRegistry],
});

export const leader = new Gauge({
  name: 'anychat_operator_leader',
  help: '1 while this replica holds the leader Lease and reconciles, else 0',
  registers: [operatorRegistry],
});

/** Serves `GET /metrics` of the operator on `port` (0: any free one). */
export function serveOperatorMetrics(port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((request, response) => {
    if (new URL(request.url ?? '/', 'http://operator').pathname !== '/metrics' || request.method !== 'GET') {
      response.writeHead(404).end();
      return;
    }
    operatorRegistry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': operatorRegistry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
