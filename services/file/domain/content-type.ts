import { fileTypeFromBuffer } from 'file-type';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { ACCEPTED_TYPES, type FileKind } from './kinds.ts';

/** Bytes read from the start of a file to tell its type. */
export const SNIFF_BYTES = 4100;

/**
 * The type of a file as its first bytes say (magic numbers), never as the client claims: a claim
 * that disagrees is corrected, and a kind that takes only some types (images, video, voice) refuses
 * content of another type with 070102. Content with no known signature is `application/octet-stream`
 * (served as an attachment).
 */
export async function detectedType(kind: FileKind, head: Uint8Array): Promise<string> {
  const detected = await fileTypeFromBuffer(head.subarray(0, SNIFF_BYTES));
  const mimeType = detected?.mime ?? 'application/octet-stream';
  const accepted = ACCEPTED_TYPES[kind];
  if (accepted && !accepted.includes(mimeType))
    throw new AppError(ErrorCode.FILE_TYPE_UNSUPPORTED, {
      detail: `a ${kind} cannot be ${detected ? mimeType : 'content of an unknown type'}`,
      data: { detected: mimeType },
    });
  return mimeType;
}
