import type { z } from 'zod';
import type { FileConfig } from '../platform/file-config.ts';
import { defineRoute } from '../platform/http/routes.ts';
import type { Principal } from '../platform/security/principal.ts';
import { rateLimit } from '../platform/security/rate-limit.ts';
import { parseInternal } from '../platform/validation.ts';
import type { Downloads } from './domain/downloads.ts';
import type { FileNotices } from './domain/notices.ts';
import type { InstantUpload, StartedUpload, Uploads } from './domain/uploads.ts';
import { readUploadForm } from './form.ts';
import {
  CompleteBody,
  FileDto,
  FileName,
  FileParams,
  InitBody,
  type InitDto,
  InitOrInstantDto,
  PartDto,
  PartFields,
  PresignOrInstantDto,
  SimpleUploadFields,
  ThumbnailDto,
  UploadParams,
  UploadStatusDto,
} from './schemas.ts';

export interface FileDomain {
  uploads: Uploads;
  downloads: Downloads;
  notices: FileNotices;
}

const tags = ['files'];

const startedDto = (started: StartedUpload): z.infer<typeof InitDto> => ({
  instant: false,
  uploadId: started.uploadId,
  fileId: started.fileId,
  chunkSize: started.chunkSize,
  totalChunks: started.totalChunks,
  expiresAt: started.expiresAt.toISOString(),
});

async function fileDto(d: FileDomain, userId: string, fileId: string): Promise<z.infer<typeof FileDto>> {
  const { url, expiresAt, file, thumbnailUrl } = await d.downloads.link(userId, fileId);
  return {
    fileId: file.fileId,
    fileName: file.fileName,
    size: file.fileSize,
    mimeType: file.mimeType,
    type: file.kind,
    url,
    urlExpiresAt: expiresAt.toISOString(),
    thumbnail: thumbnailUrl,
    width: file.width,
    height: file.height,
    durationMs: file.durationMs,
    expiresAt: file.expiresAt?.toISOString() ?? null,
  };
}

/** An upload completed at init (instant upload): told to the user's devices, answered as the file. */
async function instantDto(d: FileDomain, principal: Principal, upload: InstantUpload) {
  await d.notices.uploadCompleted(principal, upload.completed);
  return { instant: true as const, file: await fileDto(d, principal.userId, upload.completed.fileId) };
}

export function fileRoutes(d: FileDomain, config: FileConfig, rateLimitFactor: number) {
  // Uploads cost storage and bandwidth: per address, generous for people, tight for scripts.
  const uploadLimit = rateLimit('file-upload', {
    limit: Math.max(1, Math.round(600 * rateLimitFactor)),
    windowMs: 60_000,
  });
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/files/upload',
      summary:
        'Upload a small file in one request (multipart/form-data: `type`, then `file`); its type is read from its content',
      tags,
      access: 'user',
      middleware: [uploadLimit],
      response: FileDto,
      async handler({ principal, request }) {
        const form = await readUploadForm(request.raw, config.simpleUploadMaxBytes);
        const { type, groupId } = parseInternal(SimpleUploadFields, form.fields);
        const fileName = parseInternal(FileName, form.file.fileName);
        const file = await d.uploads.simple(
          { userId: principal.userId, kind: type, fileName, groupId },
          form.file.bytes,
        );
        await d.notices.uploadCompleted(principal, file);
        return fileDto(d, principal.userId, file.fileId);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/files/upload/init',
      summary:
        'Start a multipart (chunked, resumable) upload; with the sha256 of bytes I uploaded before, the file is ready at once',
      tags,
      access: 'user',
      middleware: [uploadLimit],
      body: InitBody,
      response: InitOrInstantDto,
      async handler({ principal, body }) {
        const started = await d.uploads.startMultipart({
          userId: principal.userId,
          kind: body.type,
          fileName: body.fileName,
          fileSize: body.fileSize,
          groupId: body.groupId,
          sha256: body.sha256,
        });
        return 'completed' in started ? instantDto(d, principal, started) : startedDto(started);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/files/upload/presign',
      summary: 'Start a direct upload: PUT the bytes to the answered URL, then complete',
      tags,
      access: 'user',
      middleware: [uploadLimit],
      body: InitBody,
      response: PresignOrInstantDto,
      async handler({ principal, body }) {
        const started = await d.uploads.presign({
          userId: principal.userId,
          kind: body.type,
          fileName: body.fileName,
          fileSize: body.fileSize,
          groupId: body.groupId,
          sha256: body.sha256,
        });
        if ('completed' in started) return instantDto(d, principal, started);
        return { ...startedDto(started), uploadUrl: started.uploadUrl, method: 'PUT' as const };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/files/upload/part',
      summary: 'Upload one chunk (multipart/form-data: `uploadId`, `chunkIndex` from 0, then `file`)',
      tags,
      access: 'user',
      middleware: [uploadLimit],
      response: PartDto,
      async handler({ principal, request }) {
        // A chunk is at most the chunk size; a little more room for the form's own bytes is not needed (the limit counts file bytes).
        const form = await readUploadForm(request.raw, 5 * 1024 * 1024);
        const fields = parseInternal(PartFields, form.fields);
        const progress = await d.uploads.putChunk(
          principal.userId,
          fields.uploadId,
          fields.chunkIndex,
          form.file.bytes,
        );
        await d.notices.processing(principal, { stage: 'uploading', uploadId: fields.uploadId, ...progress });
        return { chunkIndex: fields.chunkIndex, uploaded: true };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/files/upload/:uploadId',
      summary: 'Which chunks of an unfinished upload the server holds (to resume after a network loss)',
      tags,
      access: 'user',
      params: UploadParams,
      response: UploadStatusDto,
      async handler({ principal, params }) {
        const { upload, chunks } = await d.uploads.heldChunks(principal.userId, params.uploadId);
        return {
          uploadId: upload.uploadId,
          chunkSize: upload.chunkSize,
          totalChunks: upload.totalChunks,
          uploadedChunks: chunks,
          expiresAt: upload.expiresAt.toISOString(),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/files/upload/complete',
      summary: 'Complete a multipart or direct upload',
      tags,
      access: 'user',
      body: CompleteBody,
      response: FileDto,
      async handler({ principal, body }) {
        const file = await d.uploads.complete(principal.userId, body.uploadId, (upload) =>
          d.notices.processing(principal, { stage: 'processing', ...upload }),
        );
        await d.notices.uploadCompleted(principal, file);
        return fileDto(d, principal.userId, file.fileId);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/files/:fileId',
      summary:
        'A file: its details and a short-lived signed download URL (Range works), only for users who may see it',
      tags,
      access: 'user',
      params: FileParams,
      response: FileDto,
      handler: ({ principal, params }) => fileDto(d, principal.userId, params.fileId),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/files/:fileId/thumbnail',
      summary:
        "A short-lived signed URL of the file's thumbnail (the `thumbnailUrl` of media messages), for users who may see the file",
      tags,
      access: 'user',
      params: FileParams,
      response: ThumbnailDto,
      async handler({ principal, params }) {
        const { url, expiresAt } = await d.downloads.thumbnail(principal.userId, params.fileId);
        return { url, urlExpiresAt: expiresAt.toISOString() };
      },
    }),
  ];
}
