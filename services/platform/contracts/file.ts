import type { InvokePort } from '../ports/index.ts';
import { FileService } from './gen/anychat/file/v1/file_pb.ts';

/**
 * The stable URL of an avatar set from an upload, once the file service has checked that the file
 * is the user's own complete image uploaded as an avatar (of `groupId`, for a group's). The caller
 * checks that the user may change that group.
 */
export async function avatarUrlOf(
  invoke: InvokePort,
  request: { fileId: string; userId: string; groupId?: string },
): Promise<string> {
  const { url } = await invoke.call(FileService.method.useAvatar, request);
  return url;
}
