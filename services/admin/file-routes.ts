import { z } from 'zod';
import { defineRoute } from '../platform/http/routes.ts';
import { schemas } from '../platform/validation.ts';
import { adminActor } from './domain/audit-log.ts';
import type { FileModeration } from './domain/file-moderation.ts';

const tags = ['admin'];

export const FileStatsQuery = z.object({ userId: schemas.id.optional() });
export const FileStatsDto = z.object({
  files: z.number(),
  bytes: z.number(),
  storedBytes: z
    .number()
    .describe('bytes in the object store, identical content counted once; 0 for one user'),
  kinds: z.array(z.object({ kind: z.string(), files: z.number(), bytes: z.number() })),
});
export const FileParams = z.object({ fileId: schemas.id });
/** In the query: a DELETE carries no body. */
export const DeleteFileQuery = z.object({ reason: schemas.text(200).min(1).optional() });
export const DeletedFileDto = z.object({
  fileId: z.string(),
  ownerId: z.string(),
  fileName: z.string(),
  size: z.number(),
});

/** Storage use and file moderation (the file service owns the files). */
export function fileAdminRoutes(files: FileModeration) {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/files/stats',
      summary: 'Storage use: in total, or of one user (userId)',
      tags,
      access: 'admin',
      permission: 'stats:read',
      query: FileStatsQuery,
      response: FileStatsDto,
      handler: ({ query }) => files.use(query.userId),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/admin/files/:fileId',
      summary: 'Delete a file (moderation, audited): nobody can download it any more',
      tags,
      access: 'admin',
      permission: 'messages:write',
      params: FileParams,
      query: DeleteFileQuery,
      response: DeletedFileDto,
      handler: ({ admin, params, query, request }) =>
        files.delete(adminActor(admin, request.ip), params.fileId, query.reason),
    }),
  ];
}
