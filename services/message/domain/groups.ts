import { GroupMethods, type GroupSendContext } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/**
 * What the message path knows of groups: each (group, member)'s send context, asked of the group
 * service and kept briefly. A `group.changed` event drops a group's entries at once; the TTL bounds
 * staleness on replicas that did not receive it (events go to one replica per app).
 */
export class GroupDirectory {
  readonly #invoke: InvokePort;
  readonly #ttlMs: number;
  readonly #entries = new Map<string, Map<string, { context: GroupSendContext; until: number }>>();

  constructor(invoke: InvokePort, ttlMs = 30_000) {
    this.#invoke = invoke;
    this.#ttlMs = ttlMs;
  }

  async context(groupId: string, userId: string): Promise<GroupSendContext> {
    const cached = this.#entries.get(groupId)?.get(userId);
    if (cached && cached.until > Date.now()) return cached.context;
    const context = await this.#invoke.invoke<GroupSendContext>('group', GroupMethods.sendContext, {
      groupId,
      userId,
    });
    if (this.#entries.size > 10_000) this.#entries.clear();
    const byUser = this.#entries.get(groupId) ?? new Map();
    this.#entries.set(groupId, byUser);
    byUser.set(userId, { context, until: Date.now() + this.#ttlMs });
    return context;
  }

  /** The member's context, or the §7.7 refusal: unknown or dismissed group, not a member. */
  async member(groupId: string, userId: string) {
    const context = await this.context(groupId, userId);
    if (!context.exists) throw new AppError(ErrorCode.GROUP_NOT_FOUND);
    if (!context.member) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
    return { ...context, member: context.member };
  }

  /**
   * Everyone in the group's conversation (the members a dismissal left included). The lookup asks
   * with the group's own id as the user: ids are unique across kinds, so it names no member.
   */
  async memberIds(groupId: string): Promise<string[]> {
    return (await this.context(groupId, groupId)).memberIds;
  }

  forget(groupId: string) {
    this.#entries.delete(groupId);
  }
}
