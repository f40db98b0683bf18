import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { FieldCipher } from '../../platform/security/index.ts';
import type { GroupDirectory } from '../clients/groups.ts';
import type { ProfileCache } from '../clients/profiles.ts';
import type { OutgoingTarget, OutgoingWebhook, OutgoingWebhookStore } from './outgoing-store.ts';
import { checkWebhookUrl } from './post-delivery.ts';
import { newWebhookSecret } from './signature.ts';

/** Outgoing webhooks one group, or one bot, may have at once. */
export const MAX_OUTGOING_PER_TARGET = 5;

export interface OutgoingWebhookView {
  webhookId: string;
  groupId: string | null;
  botId: string | null;
  url: string;
  createdBy: string;
  createdAt: number;
}

/** What the sealed secret is bound to: a sealed secret copied to another row does not open there. */
export const secretContext = (webhookId: string) => `message.outgoing_webhooks:${webhookId}`;

const view = (webhook: OutgoingWebhook): OutgoingWebhookView => ({
  webhookId: webhook.webhookId,
  groupId: webhook.groupId,
  botId: webhook.botId,
  url: webhook.url,
  createdBy: webhook.createdBy,
  createdAt: webhook.createdAt.getTime(),
});

/**
 * Registering outgoing webhooks: a group's owner or admins for the group's messages, a bot's
 * owner for the messages to the bot. The secret that signs deliveries is in the creation's answer
 * only. A URL must pass the same address policy as link previews (public addresses unless the
 * setting allows private ones), checked again at every delivery.
 */
export class OutgoingWebhooks {
  readonly #store: OutgoingWebhookStore;
  readonly #groups: GroupDirectory;
  readonly #profiles: ProfileCache;
  readonly #cipher: FieldCipher;
  readonly #ids: SnowflakeGenerator;
  readonly #allowPrivate: boolean;

  constructor(deps: {
    store: OutgoingWebhookStore;
    groups: GroupDirectory;
    profiles: ProfileCache;
    cipher: FieldCipher;
    ids: SnowflakeGenerator;
    allowPrivate: boolean;
  }) {
    this.#store = deps.store;
    this.#groups = deps.groups;
    this.#profiles = deps.profiles;
    this.#cipher = deps.cipher;
    this.#ids = deps.ids;
    this.#allowPrivate = deps.allowPrivate;
  }

  /** 40105/40108 unless the user is the group's owner or an admin; 11 unless they own the bot. */
  async #assertManages(userId: string, target: OutgoingTarget): Promise<void> {
    if ('groupId' in target) {
      const group = await this.#groups.member(target.groupId, userId);
      if (group.dismissed) throw new AppError(ErrorCode.GROUP_DISMISSED);
      if (group.member.role === 'member') throw new AppError(ErrorCode.GROUP_NOT_ADMIN);
      return;
    }
    const profile = (await this.#profiles.get([target.botId])).get(target.botId);
    if (profile?.botOwnerId !== userId)
      throw new AppError(ErrorCode.NOT_FOUND, { detail: `no bot ${target.botId} of yours` });
  }

  async create(
    userId: string,
    target: OutgoingTarget,
    url: string,
  ): Promise<OutgoingWebhookView & { secret: string }> {
    await this.#assertManages(userId, target);
    const checked = await checkWebhookUrl(url, this.#allowPrivate);
    if ((await this.#store.ofTarget(target)).length >= MAX_OUTGOING_PER_TARGET)
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail: `at most ${MAX_OUTGOING_PER_TARGET} outgoing webhooks each; delete one first`,
      });
    const webhookId = this.#ids.next();
    const secret = newWebhookSecret();
    const webhook = await this.#store.insert({
      webhookId,
      groupId: 'groupId' in target ? target.groupId : null,
      botId: 'botId' in target ? target.botId : null,
      url: checked.href,
      sealedSecret: this.#cipher.seal(secret, secretContext(webhookId)),
      createdBy: userId,
    });
    return { ...view(webhook), secret };
  }

  async list(userId: string, target: OutgoingTarget): Promise<OutgoingWebhookView[]> {
    await this.#assertManages(userId, target);
    return (await this.#store.ofTarget(target)).map(view);
  }

  async revoke(userId: string, target: OutgoingTarget, webhookId: string): Promise<void> {
    await this.#assertManages(userId, target);
    if (!(await this.#store.revoke(target, webhookId))) throw new AppError(ErrorCode.NOT_FOUND);
  }
}
