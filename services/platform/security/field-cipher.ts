import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError, ErrorCode } from '../errors.ts';

/** One AES-256 key of a field key ring: its id is stored with every value it sealed. */
export interface FieldKey {
  id: string;
  key: Buffer;
}

/** `enc1:<key id>:<iv>:<ciphertext + tag>` (base64url): never a TOTP secret (base32, upper case). */
export const SEALED_PREFIX = 'enc1';
const VERSION = SEALED_PREFIX;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A key ring setting: `id:base64key[,id:base64key...]`, the first one sealing new values, the
 * others still opening what they sealed (rotation). Each key is 32 random bytes.
 */
export function parseFieldKeys(text: string): FieldKey[] {
  const keys = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const colon = part.indexOf(':');
      const id = part.slice(0, colon);
      const key = Buffer.from(part.slice(colon + 1), 'base64');
      if (colon < 1 || !KEY_ID.test(id) || key.length !== 32) {
        throw new Error('each key is id:base64 with an id of [A-Za-z0-9_-]{1,32} and 32 bytes of key');
      }
      return { id, key };
    });
  if (keys.length === 0) throw new Error('at least one key is needed');
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new Error('key ids repeat');
  return keys;
}

/** A new key ring entry in the setting's form, for an operator to put in a Secret. */
export const newFieldKey = (id: string): string => `${id}:${randomBytes(32).toString('base64')}`;

/**
 * Seals sensitive columns (seed 002 §10.7) with AES-256-GCM. The context (what the value is and
 * whose) is authenticated with it, so a sealed value copied to another row does not open there.
 */
export class FieldCipher {
  readonly #current: FieldKey;
  readonly #keys: Map<string, Buffer>;

  /** `keys`: the current key first, then older ones still read. */
  constructor(keys: FieldKey[]) {
    if (keys.length === 0) throw new Error('a field cipher needs a key');
    this.#current = keys[0]!;
    this.#keys = new Map(keys.map((k) => [k.id, k.key]));
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv).setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.#current.id, iv.toString('base64url'), body.toString('base64url')].join(':');
  }

  /**
   * The plain value; 10121 (503) when no key of the ring opens it (a key left out of the setting,
   * or a different key under the same id): a deployment to fix, not a client error.
   */
  open(stored: string, context: string): string {
    const [version, keyId, iv, body] = stored.split(':');
    const key = keyId === undefined ? undefined : this.#keys.get(keyId);
    if (version !== VERSION || !key || !iv || !body) {
      throw new AppError(ErrorCode.SEALED_FIELD_UNREADABLE, {
        detail: `sealed with key "${keyId ?? ''}", which the configured keys do not include`,
      });
    }
    const bytes = Buffer.from(body, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
        .setAAD(Buffer.from(context))
        .setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new AppError(ErrorCode.SEALED_FIELD_UNREADABLE, {
        detail: `key "${keyId}" does not open it: the configured key under that id is not the one it was sealed with`,
      });
    }
  }
}
