import {
  create,
  type DescMessage,
  fromJson,
  type JsonObject,
  type MessageInitShape,
  type MessageShape,
  toJson,
} from '@bufbuild/protobuf';
import type { z } from 'zod';
import { storableJson } from '../text.ts';

/**
 * Pub/sub topics typed by their proto messages (proto/anychat/<service>/v1/events.proto). A topic
 * is its name, a string, branded with its message schema: every place that names a topic (broker
 * wiring, subscriber tables) keeps using it as a string, while `publish` and subscriptions take
 * only topics made here, and only their own message.
 *
 * Wire encoding: proto3's JSON mapping, as the data of a JSON CloudEvent. Operators read events in
 * the broker, the outbox rows stay jsonb they can query, the admin audit sees the same fields, and
 * the JSON of every event stays what it was before the contracts were proto (camelCase names,
 * strings for ids, `[]` and `false` written out); only int64 sequence numbers are now written as
 * strings and timestamps in RFC 3339 with 0, 3, 6 or 9 fraction digits, and decoding reads the older
 * forms too (numbers, `null` for an absent optional, any ISO time), so rows stored by the previous
 * release still publish and decode. Binary protobuf would need a `application/protobuf` CloudEvent
 * and base64 in every tool that shows it, for a few bytes saved per event.
 */

declare const topicSchema: unique symbol;

/** A topic name that carries its message schema (in the type; at run time in the registry). */
export type Topic<Desc extends DescMessage = DescMessage> = string & { readonly [topicSchema]: Desc };

/** The decoded message of a topic. */
export type EventOf<T> = T extends Topic<infer Desc> ? MessageShape<Desc> : never;

type Scalar = string | number | bigint | boolean | Uint8Array;
/** Fields without explicit presence holding scalars or lists of scalars. */
type ImplicitScalarKeys<T> = {
  [K in keyof T]-?: object extends Pick<T, K> ? never : T[K] extends Scalar | readonly Scalar[] ? K : never;
}[keyof T];

/**
 * What a publisher gives for a topic: the message's init shape (timestamps and nested messages as
 * plain objects), with every scalar field and list of scalars that has no explicit presence
 * required, so that a forgotten field is a type error rather than a silent zero.
 */
export type EventInit<Desc extends DescMessage> = MessageInitShape<Desc> &
  Pick<MessageShape<Desc>, Exclude<ImplicitScalarKeys<MessageShape<Desc>>, '$typeName'>>;

export interface TopicDefinition<Desc extends DescMessage = DescMessage> {
  name: string;
  schema: Desc;
  /**
   * What proto3 cannot say (id formats, lengths, counts): checked on the event's canonical JSON
   * form by every subscriber; an event that breaks them is dropped as malformed.
   */
  rules?: z.ZodType | undefined;
}

const registry = new Map<string, TopicDefinition>();

/**
 * Names a topic once, with its message schema and rules. Naming the same topic again with another
 * schema is a programming error (one topic, one message).
 */
export function eventTopic<Desc extends DescMessage>(
  name: string,
  schema: Desc,
  rules?: z.ZodType,
): Topic<Desc> {
  const known = registry.get(name);
  if (known && known.schema.typeName !== schema.typeName)
    throw new Error(`topic ${name} is already defined with ${known.schema.typeName}`);
  if (!known) registry.set(name, { name, schema, rules });
  return name as Topic<Desc>;
}

/** The definition of a topic named by `eventTopic`. */
export function topicDefinition<Desc extends DescMessage>(topic: Topic<Desc>): TopicDefinition<Desc> {
  const definition = registry.get(topic);
  if (!definition) throw new Error(`topic ${topic} has no definition`);
  return definition as TopicDefinition<Desc>;
}

/** Every topic defined so far (tests check their rules against their schemas). */
export function definedTopics(): TopicDefinition[] {
  return [...registry.values()];
}

/**
 * A JSON object made of a domain value for a Struct field: what JSON.stringify makes of it (dates
 * as ISO strings, undefined left out), as the broker saw it before the contracts were proto.
 */
export function plainJson(value: Record<string, unknown>): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

/** The event's JSON as published and stored: proto3 JSON, implicit fields written out. */
export function encodeEvent<Desc extends DescMessage>(
  topic: Topic<Desc>,
  payload: EventInit<Desc>,
): JsonObject {
  const { schema } = topicDefinition(topic);
  return toJson(schema, create(schema, payload as MessageInitShape<Desc>), {
    alwaysEmitImplicit: true,
  }) as JsonObject;
}

export type DecodeResult<Desc extends DescMessage> =
  | { ok: true; message: MessageShape<Desc> }
  | { ok: false; problem: string; issues?: unknown };

/**
 * Decoded events by their data object. The embedded bus hands every subscriber of an event the same
 * data, and decoding it once per subscriber (proto3 JSON to message, then the rules on its JSON form
 * again) was ~9 % of the platform's CPU on the one-to-one path: `message.created` has several
 * subscribers. Over a broker each delivery has data of its own, and nothing is shared.
 */
const decodedByData = new WeakMap<object, Map<string, DecodeResult<DescMessage>>>();

/**
 * Reads an event's data as its topic's message: proto3 JSON (fields a newer publisher added are
 * ignored), then the topic's rules on its canonical JSON form. The message may be shared with the
 * other subscribers of the same event, so it is frozen: a handler reads it, never changes it.
 */
export function decodeEvent<Desc extends DescMessage>(topic: Topic<Desc>, data: unknown): DecodeResult<Desc> {
  if (typeof data !== 'object' || data === null) return decodeFresh(topic, data);
  const typeName = topicDefinition(topic).schema.typeName;
  let decoded = decodedByData.get(data);
  const known = decoded?.get(typeName);
  if (known) return known as DecodeResult<Desc>;
  const result = decodeFresh(topic, data);
  if (result.ok) deepFreeze(result.message);
  if (!decoded) {
    decoded = new Map();
    decodedByData.set(data, decoded);
  }
  decoded.set(typeName, result as DecodeResult<DescMessage>);
  return result;
}

/** Freezes a decoded message and everything in it (bytes fields cannot be frozen, and are left as they are). */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value))
    return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

function decodeFresh<Desc extends DescMessage>(topic: Topic<Desc>, data: unknown): DecodeResult<Desc> {
  const { schema, rules } = topicDefinition(topic);
  let message: MessageShape<Desc>;
  try {
    message = fromJson(schema, data as never, { ignoreUnknownFields: true });
  } catch (error) {
    // Protobuf strings are UTF-8, so a lone surrogate fails the decode; a producer that never went
    // through a request schema may still send one (events carry any text their producers can
    // send). Read such text as it would be stored: U+FFFD in its place.
    const storable = storableJson(data).value;
    try {
      message = fromJson(schema, storable as never, { ignoreUnknownFields: true });
    } catch {
      return { ok: false, problem: error instanceof Error ? error.message : String(error) };
    }
  }
  if (rules) {
    const checked = rules.safeParse(toJson(schema, message, { alwaysEmitImplicit: true }));
    if (!checked.success)
      return { ok: false, problem: 'breaks the topic rules', issues: checked.error.issues };
  }
  return { ok: true, message };
}
