import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { Transport } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { callThrough } from '../connect.ts';
import { appIdOf, type InvokeOptions, type InvokePort } from '../invoke.ts';
import type { SidecarOptions } from './client.ts';

/**
 * Invocation through the sidecar's HTTP service invocation: Connect's protocol is a plain POST, so
 * `POST /v1.0/invoke/<app>/method/<package>.<Service>/<Method>` reaches the callee's Connect
 * handler (inbound.ts) unchanged, binary protobuf both ways; the sidecar adds mTLS, retries and
 * tracing as for any call. One transport (keep-alive connections to the sidecar) per app.
 */
export class DaprInvokePort implements InvokePort {
  readonly #sidecar: SidecarOptions;
  readonly #transports = new Map<string, Transport>();

  constructor(sidecar: SidecarOptions) {
    this.#sidecar = sidecar;
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
