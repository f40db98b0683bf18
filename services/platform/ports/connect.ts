/**
 * Service calls ride Connect's protocol (connectrpc.com): a unary call is a plain HTTP POST of one
 * binary protobuf message to /<package>.<Service>/<Method>, answered with one message or a JSON
 * error whose details carry typed messages. Chosen over gRPC because it needs nothing of Dapr but
 * its ordinary HTTP service invocation (no gRPC proxy, no app-protocol switch, HTTP/1.1 is enough),
 * and its errors carry our §7 code as a typed detail. A cluster uses it through the sidecar; the
 * embedded host calls the handler directly with the same encoding, spans and error mapping
 * (embedded/invoke.ts).
 *
 * This module maps errors both ways and carries the trace id: a callee's AppError (§7 code, detail,
 * data) travels as an anychat.common.v1.ErrorDetail and is rethrown by the caller as the same
 * AppError; an error the callee did not mean (a bug, a lost database) arrives as its §7 code
 * without the callee's internals.
 */
import {
  type DescMessage,
  type DescMethod,
  type DescMethodUnary,
  fromJson,
  type JsonValue,
  type MessageInitShape,
  type MessageShape,
  toJson,
} from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type Interceptor, type Transport } from '@connectrpc/connect';
import { currentTrace, inSpan, traceparentFor } from '../../../common/trace-context.ts';
import { ErrorDetailSchema } from '../contracts/gen/anychat/common/v1/common_pb.ts';
import { AppError, ErrorCode } from '../errors.ts';
import { toAppError } from '../http/errors-middleware.ts';
import type { Logger } from '../logger.ts';
import { invokeDuration } from '../observability/metrics.ts';
import { appIdOf, type InvokeOptions } from './invoke.ts';

const TRACE_ID = /^[0-9a-f]{32}$/;

/** The trace id of a call (W3C traceparent `00-<trace-id>-<span-id>-<flags>`), if it has one. */
export function traceIdOfCall(headers: Headers): string | undefined {
  const traceId = headers.get('traceparent')?.split('-')[1];
  return traceId && TRACE_ID.test(traceId) ? traceId : undefined;
}

/**
 * Runs `work` in a new span of `traceId`: every call it makes (awaited or not) carries that trace id
 * unless the call names its own, and its log lines carry the ids (common/trace-context.ts).
 */
export function withTraceId<T>(traceId: string, work: () => T): T {
  return inSpan('work', { root: true, parent: traceId }, work);
}

const rpcAttributes = (service: string, method: string) => ({
  'rpc.system': 'connect_rpc',
  'rpc.service': service,
  'rpc.method': method,
});

/**
 * Server side, outermost: each call is handled in a span of the caller's trace (a new trace when it
 * came without one), so the callee's log lines carry the caller's trace id; each call is logged at
 * debug with its duration.
 */
export function traceCalls(logger: Logger): Interceptor {
  return (next) => (request) =>
    inServerSpan(logger, request.method, request.header.get('traceparent') ?? undefined, () => next(request));
}

/** Runs the callee's side of a call of `method` in its server span, logged at debug with its duration. */
export function inServerSpan<T>(
  logger: Logger,
  method: DescMethod,
  traceparent: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const name = `${method.parent.typeName}/${method.name}`;
  const span = {
    kind: 'server' as const,
    parent: traceparent,
    attributes: rpcAttributes(method.parent.typeName, method.name),
  };
  return inSpan(name, span, async () => {
    const started = performance.now();
    let outcome = 'error';
    try {
      const response = await work();
      outcome = 'ok';
      return response;
    } finally {
      logger.debug({ call: name, outcome, ms: Math.round(performance.now() - started) }, 'call handled');
    }
  });
}

/** The Connect code closest to a §7 code's HTTP status (what proxies and retries look at). */
function connectCodeOf(error: AppError): Code {
  switch (error.status) {
    case 400:
      return Code.InvalidArgument;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.NotFound;
    case 413:
    case 429:
      return Code.ResourceExhausted;
    case 503:
      return Code.Unavailable;
    default:
      return Code.Internal;
  }
}

function jsonOf(data: unknown): JsonValue {
  return data === undefined ? null : (JSON.parse(JSON.stringify(data)) as JsonValue);
}

/**
 * What a handler threw, as its caller gets it: the §7 code, the detail unless the failure was internal
 * (status 500: its details stay in the callee's log, as on the REST API), and the data as JSON.
 */
export function calleeError(error: unknown, logger: Logger, where: string): AppError {
  const appError = toAppError(error);
  const internal = appError.status >= 500;
  if (internal) logger.error({ err: error, method: where, code: appError.code }, 'internal call failed');
  const detail = internal ? undefined : appError.detail;
  return new AppError(appError.code, {
    ...(detail === undefined ? {} : { detail }),
    data: jsonOf(appError.data),
  });
}

/** Server side: whatever a handler throws leaves as a ConnectError carrying the §7 error (`calleeError`). */
export function errorsToConnect(logger: Logger): Interceptor {
  return (next) => async (request) => {
    try {
      return await next(request);
    } catch (error) {
      const sent = calleeError(error, logger, request.url);
      throw new ConnectError(sent.message, connectCodeOf(sent), undefined, [
        {
          desc: ErrorDetailSchema,
          value: {
            code: sent.code,
            ...(sent.detail === undefined ? {} : { detail: sent.detail }),
            data: fromJson(ValueSchema, sent.data as JsonValue),
          },
        },
      ]);
    }
  };
}

/** The caller's AppError for a failed call: the callee's own, or 000006 when the call got nowhere. */
function appErrorOf(error: unknown, method: DescMethodUnary): AppError {
  const connectError = ConnectError.from(error);
  const [sent] = connectError.findDetails(ErrorDetailSchema);
  if (sent) {
    return new AppError(sent.code, {
      ...(sent.detail ? { detail: sent.detail } : {}),
      data: sent.data ? toJson(ValueSchema, sent.data) : null,
    });
  }
  return new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
    detail: `calling ${method.parent.typeName}/${method.name} failed (${Code[connectError.code]})`,
    cause: error,
  });
}

/** Makes one unary call through `transport`, with the trace id and the error mapping. */
export function callThrough<I extends DescMessage, O extends DescMessage>(
  transport: Transport,
  method: DescMethodUnary<I, O>,
  input: MessageInitShape<I>,
  options: InvokeOptions = {},
): Promise<MessageShape<O>> {
  return callWith(method, options, async (traceparent) => {
    const header = traceparent ? { traceparent } : undefined;
    return (await transport.unary(method, undefined, undefined, header, input)).message;
  });
}

/**
 * Makes one unary call with `send` (given the call's W3C traceparent, if it has a trace id), timed,
 * in the call's client span; a failure is rethrown as the caller's AppError (one `send` throws is
 * the callee's own, a ConnectError is mapped by its details).
 */
export function callWith<O extends DescMessage>(
  method: DescMethodUnary<DescMessage, O>,
  options: InvokeOptions,
  send: (traceparent: string | undefined) => Promise<MessageShape<O>>,
): Promise<MessageShape<O>> {
  const span = { kind: 'client' as const, attributes: rpcAttributes(method.parent.typeName, method.name) };
  return inSpan(`${method.parent.typeName}/${method.name}`, span, () => call(method, options, send));
}

async function call<O extends DescMessage>(
  method: DescMethodUnary<DescMessage, O>,
  options: InvokeOptions,
  send: (traceparent: string | undefined) => Promise<MessageShape<O>>,
): Promise<MessageShape<O>> {
  const traceId = options.traceId ?? currentTrace()?.traceId;
  // Only W3C trace ids travel (a client's x-request-id may be something else). The call's own span
  // (tracing on) is the callee's parent.
  const traceparent = traceId && TRACE_ID.test(traceId) ? traceparentFor(traceId) : undefined;
  const stop = invokeDuration.startTimer({
    app: appIdOf(method.parent),
    method: `${method.parent.name}/${method.name}`,
  });
  try {
    const response = await send(traceparent);
    stop({ outcome: 'ok' });
    return response;
  } catch (error) {
    const appError = error instanceof AppError ? error : appErrorOf(error, method);
    // A refusal the callee meant (4xx) is an answer; only faults count as errors.
    stop({ outcome: appError.status >= 500 ? 'error' : 'refused' });
    throw appError;
  }
}
