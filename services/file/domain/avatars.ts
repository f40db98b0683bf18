import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { FileStore } from './file-store.ts';

/**
 * Avatars set from uploads (seed §5.1.2 and the group update route): only the user's own complete
 * upload of the avatar kind (a group avatar naming that group) whose content is an image. The
 * avatar is stored as the file's own route, GET /api/v1/files/{id}, which signs a fresh URL for
 * whoever may see it (access.ts: anyone signed in for a user avatar, members for a group's), so
 * that the stored value never expires as a signed URL would.
 */
export class Avatars {
  readonly #files: FileStore;
  readonly #publicUrl: () => string;

  constructor(files: FileStore, publicUrl: () => string) {
    this.#files = files;
    this.#publicUrl = publicUrl;
  }

  async use(userId: string, fileId: string, groupId: string | undefined): Promise<string> {
    const file = await this.#files.file(fileId);
    // Someone else's file answers as an unknown one: its id tells the caller nothing.
    if (!file || file.userId !== userId || file.status === 'uploading')
      throw new AppError(ErrorCode.FILE_NOT_FOUND, { detail: `no file ${fileId} of yours` });
    if (file.status === 'deleted' || (file.expiresAt && file.expiresAt.getTime() <= Date.now()))
      throw new AppError(ErrorCode.FILE_DELETED);
    if (!file.mimeType.startsWith('image/'))
      throw new AppError(ErrorCode.FILE_TYPE_UNSUPPORTED, {
        detail: `an avatar must be an image, not ${file.mimeType}`,
      });
    const kind = groupId ? 'group_avatar' : 'avatar';
    if (file.kind !== kind || (groupId !== undefined && file.groupId !== groupId))
      throw new AppError(ErrorCode.FILE_TYPE_UNSUPPORTED, {
        detail: groupId
          ? `upload the avatar with type group_avatar and groupId ${groupId}`
          : 'upload the avatar with type avatar',
      });
    return `${this.#publicUrl()}/api/v1/files/${file.fileId}`;
  }
}
