import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { Transport } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { type DaprClient, HttpMethod } from '@dapr/dapr';
import { AppError, ErrorCode } from '../../errors.ts';
import { callThrough } from '../connect.ts';
import { appIdOf, type InvokeOptions, type InvokePort } from '../invoke.ts';
import { type SidecarOptions, sidecarFailure } from './client.ts';

/** Legacy: path under which a service's JSON internal handlers are served to the sidecar. */
export const INTERNAL_PREFIX = 'internal';

/**
 * Invocation through the sidecar's HTTP service invocation: Connect's protocol is a plain POST, so
 * `POST /v1.0/invoke/<app>/method/<package>.<Service>/<Method>` reaches the callee's Connect
 * handler (inbound.ts) unchanged, binary protobuf both ways; the sidecar adds mTLS, retries and
 * tracing as for any call. One transport (keep-alive connections to the sidecar) per app.
 */
export class DaprInvokePort implements InvokePort {
  readonly #sidecar: SidecarOptions;
  readonly #transports = new Map<string, Transport>();
  private readonly client: DaprClient;

  constructor(client: DaprClient, sidecar: SidecarOptions) {
    this.client = client;
    this.#sidecar = sidecar;
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

  call<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options?: InvokeOptions,
  ): Promise<MessageShape<O>> {
    return callThrough(this.#transport(appIdOf(method.parent)), method, input, options);
  }

  #transport(appId: string): Transport {
    let transport = this.#transports.get(appId);
    if (!transport) {
      const { host, httpPort, daprApiToken } = this.#sidecar;
      transport = createConnectTransport({
        baseUrl: `http://${host}:${httpPort}/v1.0/invoke/${appId}/method`,
        httpVersion: '1.1',
        useBinaryFormat: true,
        interceptors: daprApiToken
          ? [
              (next) => async (request) => {
                request.header.set('dapr-api-token', daprApiToken);
                return next(request);
              },
            ]
          : [],
      });
      this.#transports.set(appId, transport);
    }
    return transport;
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
