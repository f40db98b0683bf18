import { GroupAdminService } from '../../platform/contracts/gen/anychat/group/v1/group_pb.ts';
import { nullsForUnset } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** Groups as the admin service moderates them (the group service owns them). */
export class GroupsClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** A page of groups, newest first; `keyword` matches the name or the id. */
  async list(query: { keyword?: string | undefined; offset: number; limit: number }) {
    const { total, items } = await this.#invoke.call(GroupAdminService.method.listGroups, query);
    return { total, items: items.map((item) => nullsForUnset(item, [])) };
  }

  /** One group with its members (40101 when unknown). */
  async detail(groupId: string) {
    const { group, announcement, members } = await this.#invoke.call(GroupAdminService.method.getGroup, {
      groupId,
    });
    if (!group) throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, { detail: 'the group was left out' });
    return {
      ...nullsForUnset(group, []),
      announcement: announcement ?? null,
      members: members.map((member) => nullsForUnset(member, ['mutedUntil'])),
    };
  }

  async dismiss(groupId: string, reason: string): Promise<void> {
    await this.#invoke.call(GroupAdminService.method.dismissGroup, { groupId, reason });
  }

  async removeMember(groupId: string, userId: string): Promise<void> {
    await this.#invoke.call(GroupAdminService.method.removeMember, { groupId, userId });
  }

  async stats(since: Date) {
    const { total, active, newSince } = await this.#invoke.call(GroupAdminService.method.getGroupStats, {
      since: since.toISOString(),
    });
    return { total, active, newSince };
  }
}
