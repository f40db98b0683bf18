import {
  create,
  type DescField,
  type DescMessage,
  fromJson,
  type JsonValue,
  type Message,
  ScalarType,
  toJson,
} from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { z } from 'zod';

/**
 * Maps frames between their JSON shape (`{type, msgId?, timestamp?, data}`, described by the zod
 * schemas) and the frames.proto messages, by field name: a JSON field `readSeq` is the proto field
 * `read_seq`; 64-bit integers are numbers in JSON; `google.protobuf.Value` holds free JSON (message
 * content), `Struct` a JSON object. `data` is the oneof case named after the type.
 */

/** SEND_MESSAGE → sendMessage: the oneof case of a frame type. */
export const caseOfType = (type: string) =>
  type.toLowerCase().replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

const LONG = new Set<ScalarType>([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);

/** A frame in its JSON shape as the proto message's init object. */
export function frameToProto<D extends DescMessage>(desc: D, frame: Record<string, unknown>) {
  const init = objectToProto(desc, frame);
  const data = desc.oneofs[0]!;
  const type = typeof frame.type === 'string' ? frame.type : '';
  const field = data.fields.find((f) => f.localName === caseOfType(type));
  if (field && isObject(frame.data))
    init[data.localName] = { case: field.localName, value: objectToProto(field.message!, frame.data) };
  return create(desc, init as never);
}

/** A proto frame in its JSON shape; `schemaOf(type)` tells which fields JSON writes as null or leaves out. */
export function frameFromProto(
  desc: DescMessage,
  message: Message,
  schemaOf: (type: string) => z.ZodType | undefined,
): Record<string, unknown> {
  const schema = objectShape(schemaOf(String((message as unknown as { type: string }).type)));
  const frame = objectFromProto(desc, message, schema);
  const data = (message as unknown as Record<string, { case?: string; value?: Message }>)[
    desc.oneofs[0]!.localName
  ];
  if (data?.case && data.value) {
    const field = desc.oneofs[0]!.fields.find((f) => f.localName === data.case)!;
    frame.data = objectFromProto(field.message!, data.value, objectShape(schema?.data));
  }
  return frame;
}

function objectToProto(desc: DescMessage, value: Record<string, unknown>): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  for (const field of desc.fields) {
    if (field.oneof) continue;
    const v = value[field.localName];
    if (v === undefined || (v === null && field.message?.typeName !== ValueSchema.typeName)) continue;
    init[field.localName] = fieldToProto(field, v);
  }
  return init;
}

function fieldToProto(field: DescField, value: unknown): unknown {
  switch (field.fieldKind) {
    case 'scalar':
      return LONG.has(field.scalar) ? BigInt(value as number) : value;
    case 'list':
      if (!Array.isArray(value)) throw new TypeError(`${field.name} must be a list`);
      if (field.listKind === 'scalar') return value.map((v) => (LONG.has(field.scalar) ? BigInt(v) : v));
      if (field.listKind === 'message') return value.map((v) => objectToProto(field.message, v));
      return value;
    case 'message':
      if (field.message.typeName === ValueSchema.typeName) return fromJson(ValueSchema, value as JsonValue);
      // google.protobuf.Struct fields are plain JSON objects in protobuf-es.
      if (field.message.typeName === 'google.protobuf.Struct') return value;
      return objectToProto(field.message, value as Record<string, unknown>);
    default:
      return value;
  }
}

function objectFromProto(
  desc: DescMessage,
  message: Message,
  shape: Record<string, z.ZodType> | undefined,
): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  const values = message as unknown as Record<string, unknown>;
  for (const field of desc.fields) {
    if (field.oneof) continue;
    const schema = shape?.[field.localName];
    const value = fieldFromProto(field, values[field.localName], schema);
    if (value !== undefined) json[field.localName] = value;
    else if (schema && accepts(schema, null) && !accepts(schema, undefined)) json[field.localName] = null;
  }
  return json;
}

function fieldFromProto(field: DescField, value: unknown, schema: z.ZodType | undefined): unknown {
  if (value === undefined) return undefined;
  switch (field.fieldKind) {
    case 'scalar':
      return typeof value === 'bigint' ? Number(value) : value;
    case 'list': {
      const list = value as unknown[];
      // An empty list is what proto sends for "none": JSON leaves an optional one out.
      if (list.length === 0 && schema && accepts(schema, undefined)) return undefined;
      if (field.listKind === 'message')
        return list.map((v) => objectFromProto(field.message, v as Message, undefined));
      return list.map((v) => (typeof v === 'bigint' ? Number(v) : v));
    }
    case 'message':
      if (field.message.typeName === ValueSchema.typeName) return toJson(ValueSchema, value as never);
      if (field.message.typeName === 'google.protobuf.Struct') return value;
      return objectFromProto(field.message, value as Message, objectShape(schema));
    default:
      return value;
  }
}

const accepts = (schema: z.ZodType, value: unknown) => schema.safeParse(value).success;

/** The field schemas of an object schema, under optional and nullable wrappers. */
function objectShape(schema: z.ZodType | undefined): Record<string, z.ZodType> | undefined {
  let current: unknown = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodNullable)
    current = (current as z.ZodOptional).unwrap();
  return current instanceof z.ZodObject ? (current.shape as Record<string, z.ZodType>) : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
