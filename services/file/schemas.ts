import { z } from 'zod';
import { schemas } from '../platform/validation.ts';
import { FILE_KINDS } from './domain/kinds.ts';

const iso = z.iso.datetime({ offset: true });

export const FileKindField = z.enum(FILE_KINDS);
/** A file's name as others will see it: one line, no invisible or text-direction characters. */
export const FileName = schemas.name(255).min(1);

/** Form fields of `POST /files/upload` (besides the `file` part). */
export const SimpleUploadFields = z.object({
  type: FileKindField,
  /** With type group_avatar: the group (the uploader must be a member); its members may see the file. */
  groupId: schemas.id.optional(),
});
/** Form fields of `POST /files/upload/part` (besides the `file` part). */
export const PartFields = z.object({
  uploadId: schemas.id,
  chunkIndex: z.coerce.number().int().min(0).max(10_000),
});

export const InitBody = z.object({
  fileName: FileName,
  fileSize: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** What the client believes the type is; never trusted: the content decides. */
  mimeType: schemas.text(100).optional(),
  type: FileKindField,
  /** With type group_avatar: the group (the uploader must be a member); its members may see the file. */
  groupId: schemas.id.optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
    .optional()
    .describe(
      'SHA-256 of the bytes: when I uploaded the same bytes as this type before, the upload completes at once (instant: true)',
    ),
});
export const CompleteBody = z.object({ uploadId: schemas.id });
export const UploadParams = z.object({ uploadId: schemas.id });
export const FileParams = z.object({ fileId: schemas.id });

export const FileDto = z.object({
  fileId: z.string(),
  fileName: z.string(),
  size: z.number(),
  mimeType: z.string(),
  type: FileKindField,
  /** A signed download URL, valid until `urlExpiresAt`. */
  url: z.string(),
  urlExpiresAt: iso,
  thumbnail: z.string().nullable(),
  width: z.number().nullable(),
  height: z.number().nullable(),
  /** Voice and video length in milliseconds. */
  durationMs: z.number().nullable(),
  /** Temporary files only. */
  expiresAt: iso.nullable(),
});
export const ThumbnailDto = z.object({
  /** A signed URL of the WebP thumbnail, valid until `urlExpiresAt`. */
  url: z.string(),
  urlExpiresAt: iso,
});
export const InitDto = z.object({
  instant: z.literal(false),
  uploadId: z.string(),
  fileId: z.string(),
  chunkSize: z.number(),
  totalChunks: z.number(),
  expiresAt: iso,
});
export const PresignDto = InitDto.extend({
  /** PUT the file's bytes here (one request, `Content-Length` set), then call /files/upload/complete. */
  uploadUrl: z.string(),
  method: z.literal('PUT'),
});
/** Init of bytes I uploaded before (sha256 given): nothing to send, the file is ready. */
export const InstantDto = z.object({ instant: z.literal(true), file: FileDto });
export const InitOrInstantDto = z.discriminatedUnion('instant', [InitDto, InstantDto]);
export const PresignOrInstantDto = z.discriminatedUnion('instant', [PresignDto, InstantDto]);
export const PartDto = z.object({ chunkIndex: z.number(), uploaded: z.boolean() });
export const UploadStatusDto = z.object({
  uploadId: z.string(),
  chunkSize: z.number(),
  totalChunks: z.number(),
  /** 0-based indexes of the chunks the server holds; send the others. */
  uploadedChunks: z.array(z.number()),
  expiresAt: iso,
});
