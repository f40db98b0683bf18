import type {
  AdminGroupDetail,
  AdminGroupSummary,
  GroupBrief,
  GroupSendContext,
  GroupStats,
} from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { GroupStatus } from '../entities.ts';
import type { GroupStore } from '../store/index.ts';

/**
 * What other services read of groups: the message path's view of a group, names for conversation
 * lists, and the platform administrator's views.
 */
export class GroupDirectory {
  readonly #store: GroupStore;

  constructor(store: GroupStore) {
    this.#store = store;
  }

  /**
   * The message path's view of a group. The members of a dismissed group stay its members here, so
   * that its conversation remains readable; sending is refused by the dismissed flag.
   */
  async sendContext(groupId: string, userId: string): Promise<GroupSendContext> {
    return (
      (await this.#store.sendContext(groupId, userId)) ?? {
        groupId,
        exists: false,
        dismissed: false,
        allMuted: false,
        historyVisible: false,
        member: null,
        memberIds: [],
      }
    );
  }

  /**
   * Everyone in a group's conversation: its members, or the members a dismissal left (they keep
   * reading it); none when there is no such group.
   */
  async conversationMembers(groupId: string): Promise<{ exists: boolean; memberIds: string[] }> {
    const memberIds = await this.#store.conversationMembers(groupId);
    return memberIds ? { exists: true, memberIds } : { exists: false, memberIds: [] };
  }

  /** People who share the user's active groups, most groups in common first. */
  commonGroupPeers(userId: string, limit: number) {
    return this.#store.commonGroupPeers(userId, limit);
  }

  async briefs(groupIds: string[]): Promise<GroupBrief[]> {
    if (groupIds.length === 0) return [];
    const groups = await this.#store.groups([...new Set(groupIds)]);
    return groups.map((group) => ({
      groupId: group.id,
      name: group.name,
      avatar: group.avatar ?? null,
      memberCount: group.memberCount,
      dismissed: group.status === GroupStatus.DISMISSED,
    }));
  }

  /** Groups newest first, dismissed ones included; `keyword` matches the name (substring) or the id. */
  adminList(query: {
    keyword?: string | undefined;
    offset: number;
    limit: number;
  }): Promise<{ total: number; items: AdminGroupSummary[] }> {
    return this.#store.adminPage(query);
  }

  /** A group with its members (a dismissed group: those it had when dismissed); 40101 when unknown. */
  async adminDetail(groupId: string): Promise<AdminGroupDetail> {
    const detail = await this.#store.adminDetail(groupId);
    if (!detail) throw new AppError(ErrorCode.GROUP_NOT_FOUND);
    return detail;
  }

  /** All groups, those not dismissed, and those created at or after `since`. */
  adminStats(since: Date): Promise<GroupStats> {
    return this.#store.stats(since);
  }
}
