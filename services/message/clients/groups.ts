import { LRUCache } from 'lru-cache';
import { GroupService } from '../../platform/contracts/gen/anychat/group/v1/group_pb.ts';
import { type GroupSendContext, groupRoleOf } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/**
 * What the message path knows of groups: each (group, member)'s send context, asked of the group
 * service and kept briefly. A `group.changed` event drops a group's entries at once; the TTL bounds
 * staleness on replicas that did not receive it (events go to one replica per app). A group's
 * entries expire together, `ttlMs` after the first of them was fetched.
 */
export class GroupDirectory {
  readonly #invoke: InvokePort;
  /** Group id → member id → the member's send context. */
  readonly #entries: LRUCache<string, Map<string, GroupSendContext>>;

  constructor(invoke: InvokePort, ttlMs = 30_000) {
    this.#invoke = invoke;
    this.#entries = new LRUCache({ max: 10_000, ttl: ttlMs });
  }

  async context(groupId: string, userId: string): Promise<GroupSendContext> {
    const cached = this.#entries.get(groupId)?.get(userId);
    if (cached) return cached;
    const { member, ...answer } = await this.#invoke.call(GroupService.method.getSendContext, {
      groupId,
      userId,
    });
    const context: GroupSendContext = {
      groupId: answer.groupId,
      exists: answer.exists,
      dismissed: answer.dismissed,
      allMuted: answer.allMuted,
      historyVisible: answer.historyVisible,
      member: member
        ? { role: groupRoleOf(member.role), mutedUntil: member.mutedUntil ?? null, joinedAt: member.joinedAt }
        : null,
      memberIds: answer.memberIds,
    };
    const byUser = this.#entries.get(groupId);
    if (byUser) byUser.set(userId, context);
    else this.#entries.set(groupId, new Map([[userId, context]]));
    return context;
  }

  /** The member's context, or the §7.7 refusal: unknown or dismissed group, not a member. */
  async member(groupId: string, userId: string) {
    const context = await this.context(groupId, userId);
    if (!context.exists) throw new AppError(ErrorCode.GROUP_NOT_FOUND);
    if (!context.member) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
    return { ...context, member: context.member };
  }

  /** Everyone in the group's conversation (the members a dismissal left included); none for an unknown group. */
  async memberIds(groupId: string): Promise<string[]> {
    return (await this.#invoke.call(GroupService.method.listConversationMembers, { groupId })).memberIds;
  }

  forget(groupId: string) {
    this.#entries.delete(groupId);
  }
}
