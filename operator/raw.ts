/**
 * A plain JSON request to the API server with the kubeconfig's credentials and TLS settings. For the
 * few places where the generated client's typed serializer gets in the way (Lease MicroTime fields,
 * which it would rewrite to three fractional digits the server refuses).
 */
import { request } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class RawApiError extends Error {
  override name = 'RawApiError';
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function rawRequest<T>(
  config: KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  timeoutMs?: number,
): Promise<T> {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const options: Parameters<typeof request>[1] = {
    method,
    headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': contentType } : {}) },
  };
  await config.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        const status = res.statusCode ?? 500;
        if (status >= 300) {
          let message = text;
          try {
            message = (JSON.parse(text) as { message?: string }).message ?? text;
          } catch {}
          reject(new RawApiError(status, `${method} ${path}: ${status} ${message}`));
        } else resolve((text ? JSON.parse(text) : undefined) as T);
      });
    });
    req.on('error', reject);
    if (timeoutMs !== undefined)
      req.setTimeout(timeoutMs, () =>
        req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)),
      );
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
