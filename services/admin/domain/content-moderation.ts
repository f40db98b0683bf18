import {
  type AdminGroupDetail,
  type AdminGroupSummary,
  GroupAdminMethods,
  MessageAdminMethods,
} from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';
import type { Actor, AuditLog } from './audit-log.ts';

/** Groups and messages under moderation: the group and message services act, this service audits. */
export class ContentModeration {
  readonly #invoke: InvokePort;
  readonly #audit: AuditLog;

  constructor(invoke: InvokePort, audit: AuditLog) {
    this.#invoke = invoke;
    this.#audit = audit;
  }

  listGroups(query: { keyword?: string | undefined; offset: number; limit: number }) {
    return this.#invoke.invoke<{ total: number; items: AdminGroupSummary[] }>(
      'group',
      GroupAdminMethods.list,
      query,
    );
  }

  groupDetail(groupId: string) {
    return this.#invoke.invoke<AdminGroupDetail>('group', GroupAdminMethods.detail, { groupId });
  }

  async dismissGroup(actor: Actor, groupId: string, reason: string): Promise<void> {
    await this.#invoke.invoke('group', GroupAdminMethods.dismiss, { groupId, reason });
    await this.#audit.record(actor, {
      action: 'group.dismiss',
      resourceType: 'group',
      resourceId: groupId,
      details: { reason },
    });
  }

  async removeMember(actor: Actor, groupId: string, userId: string): Promise<void> {
    await this.#invoke.invoke('group', GroupAdminMethods.removeMember, { groupId, userId });
    await this.#audit.record(actor, {
      action: 'group.member.remove',
      resourceType: 'group',
      resourceId: groupId,
      details: { userId },
    });
  }

  async history(actor: Actor, query: { sessionId: string; beforeSeq?: number | undefined; limit: number }) {
    const result = await this.#invoke.invoke<{ messages: unknown[] }>(
      'message',
      MessageAdminMethods.history,
      query,
    );
    // Reading someone's conversation is itself a sensitive action.
    await this.#audit.record(actor, {
      action: 'messages.read',
      resourceType: 'conversation',
      resourceId: query.sessionId,
      details: { beforeSeq: query.beforeSeq ?? null, count: result.messages.length },
    });
    return result;
  }

  async recall(actor: Actor, messageId: string, reason: string) {
    const result = await this.#invoke.invoke<{ messageId: string; sessionId: string }>(
      'message',
      MessageAdminMethods.recall,
      { messageId },
    );
    await this.#audit.record(actor, {
      action: 'message.recall',
      resourceType: 'message',
      resourceId: messageId,
      details: { sessionId: result.sessionId, reason },
    });
    return result;
  }
}
