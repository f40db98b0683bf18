import {
  create,
  type DescMessage,
  type DescMethodUnary,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import { AppError, ErrorCode } from '../../errors.ts';
import { createLogger, type Logger } from '../../logger.ts';
import { calleeError, callWith, inServerSpan } from '../connect.ts';
import type { InternalService } from '../internal-service.ts';
import { appIdOf, type InvokeOptions, type InvokePort } from '../invoke.ts';

/**
 * In-process service invocation: input and output are encoded to binary protobuf and decoded again,
 * as over HTTP, so a service can't come to depend on sharing objects with another, and the embedded
 * host exercises the same encoding a cluster does. The call goes straight to the callee's handler,
 * in the same client and server spans, with the same validation and the same error mapping
 * (connect.ts) as through Connect's router, but without the Connect envelope: Connect's in-memory
 * transport cost a request and response object, three Headers and a DOMException (its handler
 * aborts each call's AbortController when done) per call, a few percent of the platform's CPU per
 * one-to-one message (BENCHMARKS.md, "CPU per message on the hot path").
 */
export class EmbeddedInvoker implements InvokePort {
  readonly #logger: Logger;
  readonly #services = new Map<string, InternalService>();

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
  }

  call<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options?: InvokeOptions,
  ): Promise<MessageShape<O>> {
    const served = this.#services.get(method.parent.typeName);
    if (!served) {
      return Promise.reject(
        new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
          detail: `no app serves ${method.parent.typeName} (app "${appIdOf(method.parent)}")`,
        }),
      );
    }
    return callWith(method, options ?? {}, async (traceparent) => {
      const request = fromBinary(method.input, toBinary(method.input, create(method.input, input)));
      const output = await inServerSpan(this.#logger, method, traceparent, async () => {
        try {
          return await served.serve(method.localName, request);
        } catch (error) {
          throw calleeError(error, this.#logger, `${method.parent.typeName}/${method.name}`);
        }
      });
      return fromBinary(
        method.output,
        toBinary(method.output, create(method.output, output as MessageInitShape<O>)),
      );
    });
  }
}
