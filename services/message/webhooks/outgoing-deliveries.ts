import type { MessageCreated } from '../../platform/contracts/gen/anychat/message/v1/events_pb.ts';
import type { Logger } from '../../platform/logger.ts';
import type { FieldCipher } from '../../platform/security/index.ts';
import type { MessageStore, StoredMessage } from '../domain/store.ts';
import { secretContext } from './outgoing.ts';
import type { OutgoingWebhook, OutgoingWebhookStore } from './outgoing-store.ts';
import { MAX_DELIVERY_BYTES, type PostLimits, type PostOutcome, postDelivery } from './post-delivery.ts';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  signDelivery,
  TIMESTAMP_HEADER,
  WEBHOOK_ID_HEADER,
} from './signature.ts';

/** Attempts of one delivery before it is given up (the broker's backoff spaces them out). */
export const MAX_DELIVERY_ATTEMPTS = 12;
/** How long what each webhook got is remembered (redeliveries of an event come far sooner). */
const DELIVERIES_KEPT_MS = 3 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
const MINUTE_MS = 60_000;
/**
 * How long a batch waits for its receivers. Batches are handed over one at a time (by the embedded
 * bus and by daprd's default bulk subscriber), so a slow receiver must not hold the others: a
 * delivery still running then goes on in the background, its message is answered RETRY, and the
 * redelivery finds it settled or joins it (never a second post from this process).
 */
export const BATCH_WAIT_MS = 1_000;

export interface DeliveryLimits extends PostLimits {
  /** Deliveries per webhook per minute in this process; more wait for a later retry. */
  perMinute: number;
}

/** The JSON a receiver gets (the README's "Outgoing webhooks" documents it). */
export function deliveryPayload(webhook: OutgoingWebhook, message: StoredMessage, timestamp: number) {
  const payload = {
    event: 'message.created',
    deliveryId: `${webhook.webhookId}.${message.messageId}`,
    webhookId: webhook.webhookId,
    timestamp,
    ...(webhook.groupId ? { groupId: webhook.groupId } : { botId: webhook.botId }),
    message: {
      messageId: message.messageId,
      sessionId: message.sessionId,
      sessionType: message.sessionType,
      senderId: message.senderId,
      targetId: message.targetId,
      seq: message.seq,
      contentType: message.contentType,
      content: message.content as unknown,
      mentions: message.mentions,
      createdAt: message.createdAt.getTime(),
    },
  };
  const body = JSON.stringify(payload);
  if (Buffer.byteLength(body) <= MAX_DELIVERY_BYTES) return body;
  // Too big to post: the receiver gets the message without its content and reads it by id.
  return JSON.stringify({ ...payload, message: { ...payload.message, content: null, contentOmitted: true } });
}

/**
 * Delivers new messages to outgoing webhooks, from `message.created` (never on the send's path).
 * Each webhook's outcome is recorded, so a redelivered event skips those that already got it. The
 * handler answers RETRY while some receiver failed in a way worth retrying (the broker redelivers
 * with backoff), DROP when the message is gone, SUCCESS when every webhook got it or gave it up
 * (a refused address, a final answer, or too many attempts: recorded and logged).
 */
export class OutgoingDeliveries {
  readonly #store: OutgoingWebhookStore;
  readonly #messages: MessageStore;
  readonly #cipher: FieldCipher;
  readonly #limits: DeliveryLimits;
  readonly #logger: Logger;
  readonly #windows = new Map<string, { start: number; count: number }>();
  /** Deliveries under way, by delivery id: a redelivered event joins its running post. */
  readonly #running = new Map<string, Promise<boolean>>();
  #pruner: NodeJS.Timeout | undefined;

  constructor(deps: {
    store: OutgoingWebhookStore;
    messages: MessageStore;
    cipher: FieldCipher;
    limits: DeliveryLimits;
    logger: Logger;
  }) {
    this.#store = deps.store;
    this.#messages = deps.messages;
    this.#cipher = deps.cipher;
    this.#limits = deps.limits;
    this.#logger = deps.logger;
  }

  start(): void {
    this.#pruner = setInterval(() => {
      this.#store
        .prune(new Date(Date.now() - DELIVERIES_KEPT_MS))
        .catch((error: unknown) => this.#logger.warn({ err: error }, 'outgoing deliveries not pruned'));
    }, PRUNE_EVERY_MS);
    this.#pruner.unref();
  }

  stop(): void {
    clearInterval(this.#pruner);
  }

  /**
   * A batch of new messages (a bulk delivery): the webhooks that follow any of them are read once,
   * then each message is delivered to its own and answered alone; a failure with one message is
   * that message's RETRY (logged), never the others'. A failure of the shared read throws, for all.
   */
  async handleBatch(batch: MessageCreated[]): Promise<DeliveryAnswer[]> {
    const groups = new Set(batch.flatMap((created) => groupOf(created) ?? []));
    const bots = new Set(batch.flatMap(botsAddressed));
    const webhooks = await this.#store.following([...groups], [...bots]);
    return Promise.all(
      batch.map(async (created) => {
        const group = groupOf(created);
        const addressed = new Set(botsAddressed(created));
        const mine = webhooks.filter(
          (w) => (group !== null && w.groupId === group) || (w.botId !== null && addressed.has(w.botId)),
        );
        try {
          return await this.#handle(created, mine);
        } catch (error) {
          this.#logger.warn(
            { err: error, messageId: created.messageId },
            'outgoing webhooks failed; will retry',
          );
          return 'RETRY';
        }
      }),
    );
  }

  /** One message, once the webhooks that follow it are known. */
  async #handle(created: MessageCreated, webhooks: OutgoingWebhook[]): Promise<DeliveryAnswer> {
    if (webhooks.length === 0) return 'SUCCESS';
    const settled = await this.#store.settled(
      created.messageId,
      webhooks.map((w) => w.webhookId),
    );
    const pending = webhooks.filter((w) => !settled.has(w.webhookId));
    if (pending.length === 0) return 'SUCCESS';
    const message = await this.#messages.message(created.messageId);
    if (!message) {
      this.#logger.warn({ messageId: created.messageId }, 'outgoing webhooks: the message is gone; dropped');
      return 'DROP';
    }
    const retry = await withinBatchWait(
      Promise.all(pending.map((webhook) => this.#deliverOnce(webhook, message))),
    );
    // Still running: answered later, by the redelivery.
    if (retry === undefined) return 'RETRY';
    return retry.some(Boolean) ? 'RETRY' : 'SUCCESS';
  }

  /** This webhook's delivery of the message, or the one already under way in this process. */
  #deliverOnce(webhook: OutgoingWebhook, message: StoredMessage): Promise<boolean> {
    const id = `${webhook.webhookId}.${message.messageId}`;
    let running = this.#running.get(id);
    if (!running) {
      running = this.#deliver(webhook, message).finally(() => this.#running.delete(id));
      this.#running.set(id, running);
      // Nobody may be waiting for it any more: its failure is logged here, never unhandled.
      running.catch((error: unknown) =>
        this.#logger.warn({ err: error, webhookId: webhook.webhookId }, 'outgoing webhook delivery failed'),
      );
    }
    return running;
  }

  /** true when this webhook's delivery should be tried again. */
  async #deliver(webhook: OutgoingWebhook, message: StoredMessage): Promise<boolean> {
    if (!this.#admit(webhook.webhookId)) return true;
    const timestamp = Math.floor(Date.now() / 1000);
    const body = deliveryPayload(webhook, message, timestamp);
    let outcome: PostOutcome;
    try {
      const secret = this.#cipher.open(webhook.sealedSecret, secretContext(webhook.webhookId));
      outcome = await postDelivery(
        webhook.url,
        {
          [SIGNATURE_HEADER]: signDelivery(secret, timestamp, body),
          [TIMESTAMP_HEADER]: String(timestamp),
          [DELIVERY_HEADER]: `${webhook.webhookId}.${message.messageId}`,
          [WEBHOOK_ID_HEADER]: webhook.webhookId,
        },
        body,
        this.#limits,
      );
    } catch (error) {
      outcome = { ok: false, retry: true, error: (error as Error).message };
    }
    if (outcome.ok) {
      await this.#store.record(webhook.webhookId, message.messageId, 'delivered', null);
      return false;
    }
    const attempts = await this.#store.record(webhook.webhookId, message.messageId, 'pending', outcome.error);
    const giveUp = !outcome.retry || attempts >= MAX_DELIVERY_ATTEMPTS;
    this.#logger.warn(
      { webhookId: webhook.webhookId, messageId: message.messageId, attempts, error: outcome.error, giveUp },
      giveUp ? 'outgoing webhook delivery given up' : 'outgoing webhook delivery failed; will retry',
    );
    if (giveUp) await this.#store.giveUp(webhook.webhookId, message.messageId);
    return !giveUp;
  }

  /** At most `perMinute` deliveries per webhook per minute (a fixed window, in this process). */
  #admit(webhookId: string): boolean {
    const now = Date.now();
    const window = this.#windows.get(webhookId);
    if (!window || now - window.start >= MINUTE_MS) {
      if (this.#windows.size > 10_000) this.#windows.clear();
      this.#windows.set(webhookId, { start: now, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= this.#limits.perMinute;
  }
}

type DeliveryAnswer = 'RETRY' | 'DROP' | 'SUCCESS';

/** The work's result, or undefined when it takes longer than BATCH_WAIT_MS (it goes on). */
async function withinBatchWait<T>(work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), BATCH_WAIT_MS);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The group a message was sent in, if any: its group webhooks may want it. */
function groupOf(created: MessageCreated): string | null {
  return created.sessionType === 'group' ? created.targetId : null;
}

/**
 * Users a message is addressed to, whose bot webhooks may want it: the peer of a one-to-one
 * message, the users a group message @mentions; never the sender itself (a bot's own messages).
 */
function botsAddressed(created: MessageCreated): string[] {
  const addressed = created.sessionType === 'group' ? created.mentions : [created.targetId];
  return [...new Set(addressed)].filter((id) => id !== created.senderId);
}
