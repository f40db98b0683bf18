import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestState } from '../platform/http/context.ts';
import { defineRoute, type RawHandler } from '../platform/http/routes.ts';
import { rateLimit } from '../platform/security/rate-limit.ts';
import type { DataExports } from './domain/data-exports.ts';
import { DataExportDto, ExportLinkDto, ExportParams } from './schemas.ts';

const tags = ['user'];
/** Where download links point: outside the JSON envelope, the token in the path is the credential. */
export const EXPORT_DOWNLOAD_PATH = '/api/v1/users/export-downloads';

/** Export my data: start a job, read its state, get a short-lived link to its zip. */
export function exportRoutes(exports: DataExports, publicUrl: () => string, rateLimitFactor: number) {
  // Per user: each export reads all of the user's messages, so new ones are kept rare.
  const startLimit = rateLimit('data-export', {
    limit: Math.max(1, Math.round(5 * rateLimitFactor)),
    windowMs: 60 * 60_000,
    key: (ctx) => `user:${(ctx.state as RequestState).principal?.userId ?? ctx.ip}`,
  });
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/users/me/export',
      summary:
        'Export my data (profile, settings, friends, the messages I see) as a zip of JSON files: starts a job, or answers the one still pending',
      tags,
      access: 'user',
      middleware: [startLimit],
      response: DataExportDto,
      handler: ({ principal }) => exports.start(principal.userId),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/users/me/export/:id',
      summary: 'The state of one of my data exports (11 for an export that is not mine)',
      tags,
      access: 'user',
      params: ExportParams,
      response: DataExportDto,
      handler: ({ principal, params }) => exports.get(principal.userId, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/users/me/export/:id/link',
      summary:
        'A download link of a ready export, valid 15 minutes (each new link ends the previous one; 8 while not ready)',
      tags,
      access: 'user',
      params: ExportParams,
      response: ExportLinkDto,
      handler: async ({ principal, params }) => {
        const { token, expiresAt } = await exports.issueDownloadToken(principal.userId, params.id);
        return { url: `${publicUrl()}${EXPORT_DOWNLOAD_PATH}/${token}`, expiresAt };
      },
    }),
  ];
}

/** Serves the zip a download link stands for; 404 for an unknown or expired link. */
export function exportDownloadHandler(exports: DataExports): RawHandler {
  return {
    pathPrefix: `${EXPORT_DOWNLOAD_PATH}/`,
    async handle(request: IncomingMessage, response: ServerResponse) {
      const url = new URL(request.url ?? '/', 'http://local');
      const token = url.pathname.slice(EXPORT_DOWNLOAD_PATH.length + 1);
      const found =
        request.method === 'GET' && /^[A-Za-z0-9_-]{43}$/.test(token)
          ? await exports.archiveByToken(token)
          : null;
      if (!found) {
        response
          .writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' })
          .end('not found');
        return;
      }
      response
        .writeHead(200, {
          'content-type': 'application/zip',
          'content-length': found.archive.byteLength,
          'content-disposition': `attachment; filename="anychat-export-${found.exportId}.zip"`,
          'cache-control': 'no-store',
        })
        .end(found.archive);
    },
  };
}
