import { type DaprClient, HttpMethod } from '@dapr/dapr';
import { AppError, ErrorCode } from '../../errors.ts';
import type { InvokePort } from '../invoke.ts';
import { sidecarFailure } from './client.ts';

/** Path under which a service's internal handlers are served to the sidecar. */
export const INTERNAL_PREFIX = 'internal';

/**
 * Invocation through the sidecar. The callee answers with the §7 envelope; a non-zero code comes
 * back as the same AppError, so a domain error crosses services unchanged.
 */
export class DaprInvokePort implements InvokePort {
  private readonly client: DaprClient;

  constructor(client: DaprClient) {
    this.client = client;
  }

  async invoke<T>(appId: string, method: string, body?: unknown): Promise<T> {
    let response: unknown;
    try {
      response = await this.client.invoker.invoke(
        appId,
        `${INTERNAL_PREFIX}/${method}`,
        HttpMethod.POST,
        (body ?? {}) as object,
      );
    } catch (error) {
      const failure = sidecarFailure(error);
      const envelope = parseEnvelope(failure.body);
      if (envelope) throw new AppError(envelope.code, { detail: envelope.message, data: envelope.data });
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
        detail: `invoking ${appId}/${method} failed (${failure.status ?? 'no status'})`,
        cause: error,
      });
    }
    const envelope = typeof response === 'object' ? (response as Envelope) : parseEnvelope(String(response));
    if (!envelope || typeof envelope.code !== 'number') {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, { detail: `bad response from ${appId}/${method}` });
    }
    if (envelope.code !== 0)
      throw new AppError(envelope.code, { detail: envelope.message, data: envelope.data });
    return envelope.data as T;
  }
}

interface Envelope {
  code: number;
  message: string;
  data: unknown;
}

function parseEnvelope(text: string): Envelope | undefined {
  try {
    const parsed = JSON.parse(text) as Envelope;
    return typeof parsed?.code === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
