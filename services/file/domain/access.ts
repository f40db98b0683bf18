import type { GroupMembership } from '../clients/groups.ts';
import type { FileRecord, FileStore } from './file-store.ts';

/**
 * Who may see a file: its owner; anyone signed in for a user avatar; the members of the group
 * whose avatar it is; and whoever a message shared it with (the recipient, or the members of the
 * group it was sent in, checked with the group service at the time of asking, so that a member who
 * left no longer reads the group's files).
 */
export class FileAccess {
  readonly #files: FileStore;
  readonly #groups: GroupMembership;

  constructor(files: FileStore, groups: GroupMembership) {
    this.#files = files;
    this.#groups = groups;
  }

  async canSee(userId: string, file: FileRecord): Promise<boolean> {
    if (file.userId === userId || file.kind === 'avatar') return true;
    if (file.kind === 'group_avatar' && file.groupId && (await this.#groups.isMember(file.groupId, userId)))
      return true;
    const grantees = await this.#files.grantees(file.fileId);
    if (grantees.some((grantee) => grantee.type === 'user' && grantee.id === userId)) return true;
    for (const grantee of grantees)
      if (grantee.type === 'group' && (await this.#groups.isMember(grantee.id, userId))) return true;
    return false;
  }
}
