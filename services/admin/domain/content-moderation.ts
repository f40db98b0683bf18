import type { GroupsClient } from '../clients/groups.ts';
import type { MessagesClient } from '../clients/messages.ts';
import type { Actor, AuditLog } from './audit-log.ts';

/** Groups and messages under moderation: the group and message services act, this service audits. */
export class ContentModeration {
  readonly #groups: GroupsClient;
  readonly #messages: MessagesClient;
  readonly #audit: AuditLog;

  constructor(groups: GroupsClient, messages: MessagesClient, audit: AuditLog) {
    this.#groups = groups;
    this.#messages = messages;
    this.#audit = audit;
  }

  listGroups(query: { keyword?: string | undefined; offset: number; limit: number }) {
    return this.#groups.list(query);
  }

  groupDetail(groupId: string) {
    return this.#groups.detail(groupId);
  }

  async dismissGroup(actor: Actor, groupId: string, reason: string): Promise<void> {
    await this.#groups.dismiss(groupId, reason);
    await this.#audit.record(actor, {
      action: 'group.dismiss',
      resourceType: 'group',
      resourceId: groupId,
      details: { reason },
    });
  }

  async removeMember(actor: Actor, groupId: string, userId: string): Promise<void> {
    await this.#groups.removeMember(groupId, userId);
    await this.#audit.record(actor, {
      action: 'group.member.remove',
      resourceType: 'group',
      resourceId: groupId,
      details: { userId },
    });
  }

  async history(actor: Actor, query: { sessionId: string; beforeSeq?: number | undefined; limit: number }) {
    const result = await this.#messages.history(query);
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
    const result = await this.#messages.recall(messageId);
    await this.#audit.record(actor, {
      action: 'message.recall',
      resourceType: 'message',
      resourceId: messageId,
      details: { sessionId: result.sessionId, reason },
    });
    return result;
  }
}
