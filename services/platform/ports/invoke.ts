/**
 * Service invocation port: a caller names a method of the proto contracts (proto/anychat/<app>/v1,
 * generated into contracts/gen) and gets typed input and output; the callee serves the same method
 * (internal-service.ts). The Dapr adapter makes the call with Connect's protocol and binary
 * protobuf; the embedded one encodes and decodes the same binary protobuf in process, so the embedded
 * host makes the same serialization round trip as a cluster. A domain error raised by the callee
 * arrives as the same AppError.
 */
import type {
  DescMessage,
  DescMethodUnary,
  DescService,
  MessageInitShape,
  MessageShape,
} from '@bufbuild/protobuf';

export interface InvokeOptions {
  /** The caller's trace id (32 hex digits): the callee handles the call under it. */
  traceId?: string | undefined;
}

export interface InvokePort {
  /** Calls `method` on the app that serves its service (`appIdOf`). */
  call<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options?: InvokeOptions,
  ): Promise<MessageShape<O>>;
}

const SERVICE_PACKAGE = /^anychat\.([a-z][a-z0-9]*)\.v[0-9]+\./;

/**
 * The Dapr app-id that serves a contract service: its package names it (`anychat.user.v1.UserService`
 * is served by `user`), so a contract cannot be called on the wrong app.
 */
export function appIdOf(service: DescService): string {
  const app = SERVICE_PACKAGE.exec(service.typeName)?.[1];
  if (!app) throw new Error(`${service.typeName} is not in a package anychat.<app>.v<n>`);
  return app;
}
