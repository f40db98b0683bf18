import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { SystemMessageRequestedSchema } from '../../platform/contracts/gen/anychat/message/v1/events_pb.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { GroupDirectory } from '../clients/groups.ts';
import type { MessageService } from '../domain/message-service.ts';
import type { GroupWebhook, WebhookStore } from './store.ts';

/** Webhooks one group may have at once. */
export const MAX_WEBHOOKS_PER_GROUP = 10;
/** The system message kind of a webhook's post (clients show it as the webhook's, with its name). */
export const WEBHOOK_MESSAGE_KIND = 'webhook.message';

export interface WebhookView {
  webhookId: string;
  groupId: string;
  name: string;
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
}

const sha256 = (secret: string) => createHash('sha256').update(secret).digest();
const view = (webhook: GroupWebhook): WebhookView => ({
  webhookId: webhook.webhookId,
  groupId: webhook.groupId,
  name: webhook.name,
  createdBy: webhook.createdBy,
  createdAt: webhook.createdAt.getTime(),
  lastUsedAt: webhook.lastUsedAt?.getTime() ?? null,
});

/**
 * Incoming webhooks: a group's owner or an admin makes a secret URL; whoever holds it posts into
 * the group's conversation, as a system message of kind `webhook.message` naming the webhook (not
 * as a member: the post is stored, numbered, synced and pushed like any group message). A webhook
 * speaks with its maker's authority: once they are no longer owner or admin of the group, it is
 * refused until someone who is makes a new one.
 */
export class IncomingWebhooks {
  readonly #store: WebhookStore;
  readonly #groups: GroupDirectory;
  readonly #messages: MessageService;
  readonly #ids: SnowflakeGenerator;

  constructor(deps: {
    store: WebhookStore;
    groups: GroupDirectory;
    messages: MessageService;
    ids: SnowflakeGenerator;
  }) {
    this.#store = deps.store;
    this.#groups = deps.groups;
    this.#messages = deps.messages;
    this.#ids = deps.ids;
  }

  /** The group's context when the user is its owner or an admin; 40105/40108 otherwise. */
  async #managed(groupId: string, userId: string) {
    const group = await this.#groups.member(groupId, userId);
    if (group.dismissed) throw new AppError(ErrorCode.GROUP_DISMISSED);
    if (group.member.role === 'member') throw new AppError(ErrorCode.GROUP_NOT_ADMIN);
    return group;
  }

  /** A new webhook and its secret URL path, shown this once. */
  async create(userId: string, groupId: string, name: string): Promise<WebhookView & { path: string }> {
    await this.#managed(groupId, userId);
    if ((await this.#store.ofGroup(groupId)).length >= MAX_WEBHOOKS_PER_GROUP)
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail: `a group has at most ${MAX_WEBHOOKS_PER_GROUP} webhooks; delete one first`,
      });
    const secret = randomBytes(32).toString('base64url');
    const webhook = await this.#store.insert({
      webhookId: this.#ids.next(),
      groupId,
      name,
      secretSha256: sha256(secret),
      createdBy: userId,
    });
    return { ...view(webhook), path: `/api/v1/messages/hooks/${webhook.webhookId}/${secret}` };
  }

  async list(userId: string, groupId: string): Promise<WebhookView[]> {
    await this.#managed(groupId, userId);
    return (await this.#store.ofGroup(groupId)).map(view);
  }

  async revoke(userId: string, groupId: string, webhookId: string): Promise<void> {
    await this.#managed(groupId, userId);
    if (!(await this.#store.revoke(groupId, webhookId))) throw new AppError(ErrorCode.NOT_FOUND);
  }

  /**
   * Posts the text into the webhook's group. An unknown webhook and a wrong secret get the same
   * answer (401), compared in constant time. `idempotencyKey`: a retried post is stored once.
   */
  async post(webhookId: string, secret: string, text: string, idempotencyKey: string | undefined) {
    const webhook = await this.#store.active(webhookId);
    const given = sha256(secret);
    if (!webhook || !timingSafeEqual(given, webhook.secretSha256))
      throw new AppError(ErrorCode.UNAUTHENTICATED, { detail: 'unknown webhook or wrong secret' });
    const group = await this.#managed(webhook.groupId, webhook.createdBy).catch(() => {
      throw new AppError(ErrorCode.FORBIDDEN, {
        detail: "the webhook's maker is no longer owner or admin of the group",
      });
    });
    const eventId = `webhook:${webhook.webhookId}:${idempotencyKey ?? this.#ids.next()}`;
    const sent = await this.#messages.postSystemMessage(
      create(SystemMessageRequestedSchema, {
        eventId,
        groupId: webhook.groupId,
        recipients: group.memberIds,
        kind: WEBHOOK_MESSAGE_KIND,
        text,
        data: { webhookId: webhook.webhookId, name: webhook.name },
      }),
    );
    await this.#store.used(webhook.webhookId);
    return { messageId: sent.messageId, sessionId: sent.sessionId, seq: sent.seq };
  }
}
