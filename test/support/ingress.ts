/**
 * The test stand-in for the cluster's ingress: one HTTP address in front of the services, routing
 * each REST call to the service that serves it. The route table is read from each service's own
 * OpenAPI document, so it follows the code.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Target {
  name: string;
  url: string;
}

interface Route {
  method: string;
  pattern: RegExp;
  literalSegments: number;
  target: Target;
}

async function routesOf(target: Target): Promise<Route[]> {
  const response = await fetch(`${target.url}/api/v1/openapi.json`);
  const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([path, methods]) => {
    const segments = path.split('/');
    const pattern = new RegExp(
      `^${segments.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/')}$`,
    );
    const literalSegments = segments.filter((s) => !/^\{.+\}$/.test(s)).length;
    return Object.keys(methods).map((method) => ({
      method: method.toUpperCase(),
      pattern,
      literalSegments,
      target,
    }));
  });
}

export async function startIngress(targets: Target[]): Promise<{ url: string; stop(): Promise<void> }> {
  // A literal segment beats a parameter (/groups/mine before /groups/{id}).
  const routes = (await Promise.all(targets.map(routesOf)))
    .flat()
    .sort((a, b) => b.literalSegments - a.literalSegments);
  const server = createServer((incoming, outgoing) => {
    const path = new URL(incoming.url ?? '/', 'http://ingress').pathname;
    const route = routes.find((r) => r.method === incoming.method && r.pattern.test(path));
    if (!route) {
      outgoing.writeHead(404, { 'content-type': 'application/json' });
      outgoing.end(
        JSON.stringify({ code: 404, message: `ingress: no service serves ${incoming.method} ${path}` }),
      );
      return;
    }
    const upstream = new URL(incoming.url ?? '/', route.target.url);
    const proxied = request(upstream, { method: incoming.method, headers: incoming.headers }, (response) => {
      outgoing.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(outgoing);
    });
    proxied.on('error', (error) => {
      outgoing.writeHead(502, { 'content-type': 'application/json' });
      outgoing.end(
        JSON.stringify({ code: 502, message: `ingress: ${route.target.name} unreachable: ${error.message}` }),
      );
    });
    incoming.pipe(proxied);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
