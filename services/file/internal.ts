import { z } from 'zod';
import {
  FileAdminService as FileAdminContract,
  FileService as FileContract,
  ShareTarget,
} from '../platform/contracts/gen/anychat/file/v1/file_pb.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import type { Avatars } from './domain/avatars.ts';
import type { FileRecord } from './domain/file-store.ts';
import type { Recordings } from './domain/recordings.ts';
import type { Sharing } from './domain/sharing.ts';
import type { StorageAdmin } from './domain/storage-stats.ts';

const id = z.string().regex(SNOWFLAKE_PATTERN);

/** Input rules of FileService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const FileInputs = {
  shareFile: z.object({
    fileId: id,
    senderId: id,
    target: z.union([z.literal(ShareTarget.USER), z.literal(ShareTarget.GROUP)]),
    targetId: id,
  }),
  useAvatar: z.object({ fileId: id, userId: id, groupId: id.optional() }),
  registerRecording: z.object({
    fileId: id,
    ownerId: id,
    storageKey: z.string().min(1).max(500),
    fileName: z.string().min(1).max(255),
    mimeType: z.enum(['video/mp4', 'audio/ogg', 'video/webm']),
    durationMs: z.number().int().min(0).optional(),
    meetingId: id,
  }),
  getStorageQuota: z.object({ userId: id }),
} satisfies InputSchemas<typeof FileContract>;

/** Input rules of FileAdminService's methods. */
export const FileAdminInputs = {
  getFileStats: z.object({ userId: id.optional() }),
  deleteFile: z.object({ fileId: id }),
} satisfies InputSchemas<typeof FileAdminContract>;

/** What a message shows of a file. */
export const renderOf = (file: FileRecord, publicUrl: () => string) => ({
  fileId: file.fileId,
  kind: file.kind,
  fileName: file.fileName,
  size: BigInt(file.fileSize),
  mimeType: file.mimeType,
  ...(file.width === null ? {} : { width: file.width }),
  ...(file.height === null ? {} : { height: file.height }),
  ...(file.durationMs === null ? {} : { durationMs: file.durationMs }),
  hasThumbnail: file.thumbnail !== null,
  ...(file.thumbnail === null
    ? {}
    : { thumbnailUrl: `${publicUrl()}/api/v1/files/${file.fileId}/thumbnail` }),
});

/** What the file service serves other services (proto/anychat/file/v1/file.proto). */
export function fileInternal(
  sharing: Sharing,
  admin: StorageAdmin,
  avatars: Avatars,
  recordings: Recordings,
  publicUrl: () => string,
): InternalService[] {
  return [
    internalService(FileAdminContract, FileAdminInputs, {
      getFileStats: async ({ userId }) => {
        const use = await admin.use(userId);
        return {
          files: BigInt(use.files),
          bytes: BigInt(use.bytes),
          storedBytes: BigInt(use.storedBytes),
          kinds: use.kinds.map((kind) => ({
            kind: kind.kind,
            files: BigInt(kind.files),
            bytes: BigInt(kind.bytes),
          })),
        };
      },
      deleteFile: async ({ fileId }) => {
        const deleted = await admin.delete(fileId);
        return { ownerId: deleted.ownerId, fileName: deleted.fileName, size: BigInt(deleted.size) };
      },
    }),
    internalService(FileContract, FileInputs, {
      shareFile: async ({ fileId, senderId, target, targetId }) => {
        const file = await sharing.share(senderId, fileId, {
          type: target === ShareTarget.USER ? 'user' : 'group',
          id: targetId,
        });
        return { file: renderOf(file, publicUrl) };
      },
      useAvatar: async ({ fileId, userId, groupId }) => ({
        url: await avatars.use(userId, fileId, groupId),
      }),
      registerRecording: async (request) => {
        const { fileId, size } = await recordings.register(request);
        return { fileId, size: BigInt(size) };
      },
      getStorageQuota: async ({ userId }) => {
        const { usedBytes, quotaBytes } = await recordings.quota(userId);
        return { usedBytes: BigInt(usedBytes), quotaBytes: BigInt(quotaBytes) };
      },
    }),
  ];
}
