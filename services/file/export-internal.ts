import { z } from 'zod';
import { FileExportService } from '../platform/contracts/gen/anychat/file/v1/export_pb.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import type { AccountFiles } from './domain/account-files.ts';

/** Input rules of FileExportService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const FileExportInputs = {
  listUserFiles: z.object({ userId: z.string().regex(SNOWFLAKE_PATTERN) }),
} satisfies InputSchemas<typeof FileExportService>;

/** What the user service's data export reads of the file service (proto/anychat/file/v1/export.proto). */
export function fileExportInternal(files: AccountFiles): InternalService {
  return internalService(FileExportService, FileExportInputs, {
    listUserFiles: async ({ userId }) => ({ files: await files.list(userId) }),
  });
}
