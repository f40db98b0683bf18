import { request } from 'node:http';
import { ApiClient, type ApiResponse, type CallOptions } from './api-client.ts';

/**
 * An ApiClient whose connections leave from another loopback address (any of 127.0.0.0/8 on
 * Linux), so that the platform sees a different client address (`ctx.ip`) without any proxy header.
 */
export class AddressedApiClient extends ApiClient {
  readonly localAddress: string;

  constructor(baseUrl: string, localAddress: string) {
    super(baseUrl);
    this.localAddress = localAddress;
  }

  override call<T = unknown>(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.baseUrl),
        { method, headers, localAddress: this.localAddress, agent: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => {
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers))
              if (typeof value === 'string') responseHeaders.set(name, value);
            try {
              resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: JSON.parse(text) });
            } catch {
              reject(
                new Error(
                  `${method} ${path} answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`,
                ),
              );
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
