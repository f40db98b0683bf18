import { z } from 'zod';
import {
  FileService as FileContract,
  ShareTarget,
} from '../platform/contracts/gen/anychat/file/v1/file_pb.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import type { FileRecord } from './domain/file-store.ts';
import type { Sharing } from './domain/sharing.ts';

const id = z.string().regex(SNOWFLAKE_PATTERN);

/** Input rules of FileService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const FileInputs = {
  shareFile: z.object({
    fileId: id,
    senderId: id,
    target: z.union([z.literal(ShareTarget.USER), z.literal(ShareTarget.GROUP)]),
    targetId: id,
  }),
} satisfies InputSchemas<typeof FileContract>;

/** What a message shows of a file. */
export const renderOf = (file: FileRecord) => ({
  fileId: file.fileId,
  kind: file.kind,
  fileName: file.fileName,
  size: BigInt(file.fileSize),
  mimeType: file.mimeType,
  ...(file.width === null ? {} : { width: file.width }),
  ...(file.height === null ? {} : { height: file.height }),
  ...(file.durationMs === null ? {} : { durationMs: file.durationMs }),
  hasThumbnail: file.thumbnail !== null,
});

/** What the file service serves other services (proto/anychat/file/v1/file.proto). */
export function fileInternal(sharing: Sharing): InternalService[] {
  return [
    internalService(FileContract, FileInputs, {
      shareFile: async ({ fileId, senderId, target, targetId }) => {
        const file = await sharing.share(senderId, fileId, {
          type: target === ShareTarget.USER ? 'user' : 'group',
          id: targetId,
        });
        return { file: renderOf(file) };
      },
    }),
  ];
}
