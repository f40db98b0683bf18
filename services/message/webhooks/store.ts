import type { SqlExecutor } from '../../platform/db/index.ts';

export interface GroupWebhook {
  webhookId: string;
  groupId: string;
  name: string;
  secretSha256: Buffer;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

type Row = Record<string, unknown>;

const COLUMNS = `webhook_id::text as webhook_id, group_id::text as group_id, name, secret_sha256,
  created_by::text as created_by, created_at, last_used_at`;

const toWebhook = (row: Row): GroupWebhook => ({
  webhookId: row.webhook_id as string,
  groupId: row.group_id as string,
  name: row.name as string,
  secretSha256: row.secret_sha256 as Buffer,
  createdBy: row.created_by as string,
  createdAt: new Date(row.created_at as string),
  lastUsedAt: row.last_used_at ? new Date(row.last_used_at as string) : null,
});

/** The webhooks' table; revoked webhooks are kept (who made what, when) but never found. */
export class WebhookStore {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  async insert(webhook: Omit<GroupWebhook, 'createdAt' | 'lastUsedAt'>): Promise<GroupWebhook> {
    const [row] = await this.#sql.query(
      `insert into message.group_webhooks (webhook_id, group_id, name, secret_sha256, created_by)
       values (?, ?, ?, ?, ?) returning ${COLUMNS}`,
      [webhook.webhookId, webhook.groupId, webhook.name, webhook.secretSha256, webhook.createdBy],
    );
    return toWebhook(row!);
  }

  async active(webhookId: string): Promise<GroupWebhook | undefined> {
    const [row] = await this.#sql.query(
      `select ${COLUMNS} from message.group_webhooks where webhook_id = ? and revoked_at is null`,
      [webhookId],
    );
    return row ? toWebhook(row) : undefined;
  }

  async ofGroup(groupId: string): Promise<GroupWebhook[]> {
    const rows = await this.#sql.query(
      `select ${COLUMNS} from message.group_webhooks where group_id = ? and revoked_at is null
        order by created_at, webhook_id`,
      [groupId],
    );
    return rows.map(toWebhook);
  }

  /** true when it was active. */
  async revoke(groupId: string, webhookId: string): Promise<boolean> {
    const rows = await this.#sql.query(
      `update message.group_webhooks set revoked_at = now()
        where webhook_id = ? and group_id = ? and revoked_at is null returning 1 as ok`,
      [webhookId, groupId],
    );
    return rows.length > 0;
  }

  async used(webhookId: string): Promise<void> {
    await this.#sql.query('update message.group_webhooks set last_used_at = now() where webhook_id = ?', [
      webhookId,
    ]);
  }
}
