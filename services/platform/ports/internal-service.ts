/**
 * The callee's side of a contract: the handlers an app serves for one proto service, each behind
 * the zod schema that validates its input (caps, id formats, text rules the proto types cannot say).
 * The type checker holds each schema to the fields of the proto message the method receives and
 * each handler to the method's output; test/unit/contracts.test.ts proves schema and message have
 * the same fields, of the same kinds.
 */
import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from '@bufbuild/protobuf';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import type { z } from 'zod';
import { currentTrace } from '../../../common/trace-context.ts';
import { parseInternal } from '../validation.ts';
import { traceIdOfCall } from './connect.ts';

/** What a handler knows of the call besides its input. */
export interface CallContext {
  /** The caller's trace id, when it sent one. */
  traceId: string | undefined;
}

type MethodsOf<S extends DescService> = S['method'];
type InputOf<M> = M extends { input: infer I extends DescMessage } ? I : never;
type OutputOf<M> = M extends { output: infer O extends DescMessage } ? O : never;

/** One zod schema per method. */
export type InputSchemas<S extends DescService> = { [K in keyof MethodsOf<S>]: z.ZodType };

/** The keys an object schema reads (an empty one reads none: its input type is an index signature). */
type SchemaKeys<T> = string extends keyof T ? never : keyof T;
type FieldsOf<M> = Exclude<keyof M, '$typeName'>;

/**
 * Each schema may read only fields of the proto message its method receives (so a renamed or
 * removed field fails to compile); that it reads all of them, with matching kinds and optionality,
 * test/unit/contracts.test.ts checks.
 */
type ReadingMessageFields<S extends DescService, V extends InputSchemas<S>> = {
  [K in keyof V]: K extends keyof MethodsOf<S>
    ? Exclude<SchemaKeys<z.input<V[K]>>, FieldsOf<MessageShape<InputOf<MethodsOf<S>[K]>>>> extends never
      ? V[K]
      : {
          fieldsNotInTheProtoMessage: Exclude<
            SchemaKeys<z.input<V[K]>>,
            FieldsOf<MessageShape<InputOf<MethodsOf<S>[K]>>>
          >;
        }
    : never;
};

export type InternalHandlers<S extends DescService, V extends InputSchemas<S>> = {
  [K in keyof MethodsOf<S>]: (
    input: z.output<V[K]>,
    call: CallContext,
  ) => Promise<MessageInitShape<OutputOf<MethodsOf<S>[K]>>>;
};

/** A proto service an app serves to the others, ready for an adapter's router. */
export interface InternalService {
  service: DescService;
  /** Each method's input schema, by the method's local name. */
  inputs: Readonly<Record<string, z.ZodType>>;
  register(router: ConnectRouter): void;
  /**
   * Handles one call of `method` (by its local name) with its decoded input, as the router does: the
   * embedded host's direct path (embedded/invoke.ts), run inside the call's server span.
   */
  serve(method: string, request: MessageShape<DescMessage>): Promise<MessageInitShape<DescMessage>>;
}

/** Serves `service`: every call's input is validated by its schema (000001 when refused), then handled. */
export function internalService<S extends DescService, V extends InputSchemas<S>>(
  service: S,
  inputs: V & ReadingMessageFields<S, V>,
  handlers: InternalHandlers<S, V>,
): InternalService {
  const byName = inputs as Record<string, z.ZodType>;
  const handle = handlers as Record<
    string,
    (input: unknown, call: CallContext) => Promise<MessageInitShape<DescMessage>>
  >;
  const serve = (method: string, request: MessageShape<DescMessage>, traceId: string | undefined) => {
    const schema = byName[method];
    const handler = handle[method];
    if (!schema || !handler) throw new Error(`${service.typeName}/${method}: no handler and input schema`);
    return handler(parseInternal(schema, request), { traceId });
  };
  return {
    service,
    inputs: byName,
    register(router) {
      for (const method of service.methods) {
        if (!byName[method.localName] || !handle[method.localName] || method.methodKind !== 'unary')
          throw new Error(`${method.parent.typeName}/${method.name}: no unary handler and input schema`);
        router.rpc(
          method as DescMethod & { methodKind: 'unary' },
          async (request: MessageShape<DescMessage>, context: HandlerContext) =>
            // The adapters' routers run each call in its trace (connect.ts traceCalls): the calls the
            // handler makes carry it on.
            serve(method.localName, request, currentTrace()?.traceId ?? traceIdOfCall(context.requestHeader)),
        );
      }
    },
    serve: async (method, request) => serve(method, request, currentTrace()?.traceId),
  };
}
