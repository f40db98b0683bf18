import type { SqlExecutor } from '../../platform/db/index.ts';

/** What an outgoing webhook follows: a group's messages, or the messages to a bot. */
export type OutgoingTarget = { groupId: string } | { botId: string };

export interface OutgoingWebhook {
  webhookId: string;
  groupId: string | null;
  botId: string | null;
  url: string;
  /** Sealed (FieldCipher); opened only to sign a delivery. */
  sealedSecret: string;
  createdBy: string;
  createdAt: Date;
}

/** A delivery's state: `delivered`, or `failed` (given up: refused target, or the receiver said no). */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

type Row = Record<string, unknown>;

const COLUMNS = `webhook_id::text as webhook_id, group_id::text as group_id, bot_id::text as bot_id, url,
  secret, created_by::text as created_by, created_at`;

const toWebhook = (row: Row): OutgoingWebhook => ({
  webhookId: row.webhook_id as string,
  groupId: (row.group_id as string | null) ?? null,
  botId: (row.bot_id as string | null) ?? null,
  url: row.url as string,
  sealedSecret: row.secret as string,
  createdBy: row.created_by as string,
  createdAt: new Date(row.created_at as string),
});

/** The outgoing webhooks' table and what each delivered; revoked webhooks are kept but never used. */
export class OutgoingWebhookStore {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  async insert(webhook: Omit<OutgoingWebhook, 'createdAt'>): Promise<OutgoingWebhook> {
    const [row] = await this.#sql.query(
      `insert into message.outgoing_webhooks (webhook_id, group_id, bot_id, url, secret, created_by)
       values (?, ?, ?, ?, ?, ?) returning ${COLUMNS}`,
      [
        webhook.webhookId,
        webhook.groupId,
        webhook.botId,
        webhook.url,
        webhook.sealedSecret,
        webhook.createdBy,
      ],
    );
    return toWebhook(row!);
  }

  async ofTarget(target: OutgoingTarget): Promise<OutgoingWebhook[]> {
    const [column, id] = 'groupId' in target ? ['group_id', target.groupId] : ['bot_id', target.botId];
    const rows = await this.#sql.query(
      `select ${COLUMNS} from message.outgoing_webhooks where ${column} = ? and revoked_at is null
        order by webhook_id`,
      [id],
    );
    return rows.map(toWebhook);
  }

  /**
   * Live webhooks of these groups and of these bots: who new messages go out to (one read for a
   * batch of messages; each message keeps those of its own group and bots).
   */
  async following(groupIds: string[], botIds: string[]): Promise<OutgoingWebhook[]> {
    if (groupIds.length === 0 && botIds.length === 0) return [];
    const rows = await this.#sql.query(
      `select ${COLUMNS} from message.outgoing_webhooks
        where revoked_at is null and (group_id in (select x::bigint from jsonb_array_elements_text(?::jsonb) x)
          or bot_id in (select x::bigint from jsonb_array_elements_text(?::jsonb) x))`,
      [JSON.stringify(groupIds), JSON.stringify(botIds)],
    );
    return rows.map(toWebhook);
  }

  /** true when it was live. */
  async revoke(target: OutgoingTarget, webhookId: string): Promise<boolean> {
    const [column, id] = 'groupId' in target ? ['group_id', target.groupId] : ['bot_id', target.botId];
    const rows = await this.#sql.query(
      `update message.outgoing_webhooks set revoked_at = now()
        where webhook_id = ? and ${column} = ? and revoked_at is null returning 1 as ok`,
      [webhookId, id],
    );
    return rows.length > 0;
  }

  /** Webhooks (of these) that already delivered the message, or gave it up. */
  async settled(messageId: string, webhookIds: string[]): Promise<Set<string>> {
    if (webhookIds.length === 0) return new Set();
    const rows = await this.#sql.query<{ webhook_id: string }>(
      `select webhook_id::text as webhook_id from message.outgoing_deliveries
        where message_id = ? and status <> 'pending'
          and webhook_id in (select x::bigint from jsonb_array_elements_text(?::jsonb) x)`,
      [messageId, JSON.stringify(webhookIds)],
    );
    return new Set(rows.map((row) => row.webhook_id));
  }

  /** Records an attempt's outcome; answers the attempts made so far. */
  async record(
    webhookId: string,
    messageId: string,
    status: Exclude<DeliveryStatus, 'failed'>,
    error: string | null,
  ): Promise<number> {
    const [row] = await this.#sql.query<{ attempts: number }>(
      `insert into message.outgoing_deliveries (webhook_id, message_id, status, attempts, last_error)
       values (?, ?, ?, 1, ?)
       on conflict (webhook_id, message_id) do update set status = excluded.status,
         attempts = message.outgoing_deliveries.attempts + 1, last_error = excluded.last_error, updated_at = now()
       returning attempts`,
      [webhookId, messageId, status, error?.slice(0, 300) ?? null],
    );
    return Number(row!.attempts);
  }

  /** The delivery is not tried again (recorded by `record` first). */
  async giveUp(webhookId: string, messageId: string): Promise<void> {
    await this.#sql.query(
      `update message.outgoing_deliveries set status = 'failed', updated_at = now()
        where webhook_id = ? and message_id = ?`,
      [webhookId, messageId],
    );
  }

  /** Forgets deliveries older than the cutoff (events are not redelivered that late). */
  async prune(before: Date): Promise<void> {
    await this.#sql.query('delete from message.outgoing_deliveries where updated_at < ?', [before]);
  }
}
