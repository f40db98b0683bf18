/**
 * Service invocation port: call method M of app-id A with a JSON body, Dapr-style. Methods are the
 * callee's internal handlers; a domain error raised by the callee arrives as the same AppError.
 */

export interface InvokeOptions {
  traceId?: string;
}

export interface InvokePort {
  invoke<T>(appId: string, method: string, body?: unknown, options?: InvokeOptions): Promise<T>;
}

/** An internal (service-to-service) method: JSON in, JSON out. Validate the input like any other. */
export type InternalHandler = (body: unknown) => Promise<unknown>;
export type InternalHandlers = Record<string, InternalHandler>;

export class InvokeError extends Error {
  override name = 'InvokeError';
}
