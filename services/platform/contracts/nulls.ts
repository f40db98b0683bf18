import type { JsonObject } from '@bufbuild/protobuf';

/**
 * Domain objects say "none" with null; proto3 says it with an unset optional field. These convert
 * at the edge of a call (a callee's answer, a caller's reading of it), one level deep.
 */

type UnsetNulls<T> = { [K in keyof T as null extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as null extends T[K] ? K : never]?: Exclude<T[K], null>;
};

/** A domain object with its null fields left out, as the contract's optional fields are unset. */
export function unsetNulls<T extends object>(value: T): UnsetNulls<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null)) as UnsetNulls<T>;
}

type WithNulls<T, K extends keyof T> = Omit<T, K | '$typeName'> & {
  [P in K]-?: Exclude<T[P], undefined> | null;
};

/** A contract message's unset optional fields `keys` as nulls; the message's type name left out. */
export function nullsForUnset<T extends object, K extends keyof T>(
  message: T,
  keys: readonly K[],
): WithNulls<T, K> {
  const { $typeName: _, ...fields } = message as T & { $typeName?: string };
  const result: Record<string, unknown> = fields;
  for (const key of keys) result[key as string] = message[key] ?? null;
  return result as WithNulls<T, K>;
}

/**
 * A JSON document (a frame, a message as the REST API shows it) as a google.protobuf.Struct field
 * carries it: what JSON.stringify writes, read back.
 */
export function jsonObjectOf(document: object): JsonObject {
  return JSON.parse(JSON.stringify(document)) as JsonObject;
}
