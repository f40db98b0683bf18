import {
  type AdminGroupDetail,
  type AdminGroupSummary,
  GroupAdminMethods,
  type GroupStats,
} from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** Groups as the admin service moderates them (the group service owns them). */
export class GroupsClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  list(query: { keyword?: string | undefined; offset: number; limit: number }) {
    return this.#invoke.invoke<{ total: number; items: AdminGroupSummary[] }>(
      'group',
      GroupAdminMethods.list,
      query,
    );
  }

  detail(groupId: string) {
    return this.#invoke.invoke<AdminGroupDetail>('group', GroupAdminMethods.detail, { groupId });
  }

  async dismiss(groupId: string, reason: string): Promise<void> {
    await this.#invoke.invoke('group', GroupAdminMethods.dismiss, { groupId, reason });
  }

  async removeMember(groupId: string, userId: string): Promise<void> {
    await this.#invoke.invoke('group', GroupAdminMethods.removeMember, { groupId, userId });
  }

  stats(since: Date) {
    return this.#invoke.invoke<GroupStats>('group', GroupAdminMethods.stats, { since: since.toISOString() });
  }
}
