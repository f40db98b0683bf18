import type { GroupMembership } from '../clients/groups.ts';
import type { MeetingMembership } from '../clients/meetings.ts';
import type { FileRecord, FileStore } from './file-store.ts';

/**
 * Who may see a file: its owner; anyone signed in for a user avatar; the members of the group
 * whose avatar it is; and whoever a message shared it with (the recipient, or the members of the
 * group it was sent in, checked with the group service at the time of asking, so that a member who
 * left no longer reads the group's files); a meeting's recording, whoever belongs to the meeting
 * at the time of asking (the rtc service says: members who joined later read it, removed ones no
 * longer do).
 */
export class FileAccess {
  readonly #files: FileStore;
  readonly #groups: GroupMembership;
  readonly #meetings: MeetingMembership;

  constructor(files: FileStore, groups: GroupMembership, meetings: MeetingMembership) {
    this.#files = files;
    this.#groups = groups;
    this.#meetings = meetings;
  }

  async canSee(userId: string, file: FileRecord): Promise<boolean> {
    if (file.userId === userId || file.kind === 'avatar') return true;
    if (file.kind === 'group_avatar' && file.groupId && (await this.#groups.isMember(file.groupId, userId)))
      return true;
    const grantees = await this.#files.grantees(file.fileId);
    if (grantees.some((grantee) => grantee.type === 'user' && grantee.id === userId)) return true;
    for (const grantee of grantees) {
      if (grantee.type === 'group' && (await this.#groups.isMember(grantee.id, userId))) return true;
      if (grantee.type === 'meeting' && (await this.#meetings.isMember(grantee.id, userId))) return true;
    }
    return false;
  }
}
