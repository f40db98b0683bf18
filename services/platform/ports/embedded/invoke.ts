import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { type ConnectRouter, createRouterTransport, type Transport } from '@connectrpc/connect';
import { AppError, ErrorCode } from '../../errors.ts';
import { createLogger, type Logger } from '../../logger.ts';
import { callThrough, errorsToConnect, traceCalls } from '../connect.ts';
import type { InternalService } from '../internal-service.ts';
import { appIdOf, type InvokeOptions, type InvokePort } from '../invoke.ts';

/**
 * In-process service invocation: the call goes through Connect's in-memory transport, encoded
 * and decoded as binary protobuf as over HTTP, so a service can't come to depend on sharing
 * objects with another, and the embedded host exercises the same encoding a cluster does.
 */
export class EmbeddedInvoker implements InvokePort {
  readonly #logger: Logger;
  readonly #services = new Map<string, InternalService>();
  #transport: Transport | undefined;

  /** `logger` gets the failures callees did not mean (a bug, a lost database), as on the REST API, and each call at debug. */
  constructor(logger: Logger = createLogger('silent')) {
    this.#logger = logger;
  }

  /** Serves an app's services; `appId` must be the app their packages name. */
  register(appId: string, services: InternalService[]): void {
    for (const served of services) {
      if (appIdOf(served.service) !== appId)
        throw new Error(`${appId} cannot serve ${served.service.typeName}: its package names another app`);
      this.#services.set(served.service.typeName, served);
    }
    this.#transport = undefined;
  }

  call<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options?: InvokeOptions,
  ): Promise<MessageShape<O>> {
    if (!this.#services.has(method.parent.typeName)) {
      return Promise.reject(
        new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
          detail: `no app serves ${method.parent.typeName} (app "${appIdOf(method.parent)}")`,
        }),
      );
    }
    this.#transport ??= createRouterTransport(
      (router: ConnectRouter) => {
        for (const served of this.#services.values()) served.register(router);
      },
      { router: { interceptors: [traceCalls(this.#logger), errorsToConnect(this.#logger)] } },
    );
    return callThrough(this.#transport, method, input, options);
  }
}
