import { AppError, ErrorCode } from '../../errors.ts';
import type { InternalHandlers, InvokePort } from '../invoke.ts';

/**
 * In-process service invocation. Bodies and results make a JSON round-trip, as over HTTP, so a
 * service can't come to depend on sharing objects with another.
 */
export class EmbeddedInvoker implements InvokePort {
  readonly #apps = new Map<string, InternalHandlers>();

  register(appId: string, handlers: InternalHandlers): void {
    this.#apps.set(appId, handlers);
  }

  async invoke<T>(appId: string, method: string, body?: unknown): Promise<T> {
    const handler = this.#apps.get(appId)?.[method];
    if (!handler) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
        detail: `no method "${method}" on app "${appId}"`,
      });
    }
    const result = await handler(body === undefined ? undefined : JSON.parse(JSON.stringify(body)));
    return (result === undefined ? undefined : JSON.parse(JSON.stringify(result))) as T;
  }
}
