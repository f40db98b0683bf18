import { gatewayDeliveryTopic, timelineAppend } from '../../platform/contracts/index.ts';
import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { EventPublisher, plainJson } from '../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Outbox } from '../../platform/outbox.ts';
import type { PubSubPort } from '../../platform/ports/index.ts';
import type { AccountsClient } from '../clients/auth.ts';
import type { Actor, AuditLog } from './audit-log.ts';
import type { GatewayInstances } from './gateway-instances.ts';
import { isoOf, isoOrNull } from './timestamps.ts';

export type BroadcastKind = 'announcement' | 'maintenance';

export interface Broadcast {
  broadcastId: string;
  kind: BroadcastKind;
  text: string;
  status: 'sending' | 'done';
  recipients: number;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
}

interface BroadcastRow {
  broadcast_id: string;
  kind: BroadcastKind;
  text: string;
  status: 'sending' | 'done';
  recipients: number;
  cursor_user_id: string;
  created_by: string;
  created_at: string;
  finished_at: string | null;
}

/** Recipients per timeline event: one transaction in the message service appends to each of them. */
const BATCH = 500;
/** NOTIFICATION kinds clients switch on (seed §4.12 `notification.admin.*`). */
const NOTIFICATION_KIND: Record<BroadcastKind, string> = {
  announcement: 'admin.announcement',
  maintenance: 'admin.maintenance',
};

const COLUMNS = `broadcast_id::text, kind, text, status, recipients, cursor_user_id::text, created_by::text,
  created_at, finished_at`;

/** The timeline notification of a broadcast; one event id for every batch and every user. */
interface BroadcastNotice {
  eventId: string;
  kind: string;
  payload: Record<string, unknown>;
}

function notice(row: BroadcastRow): BroadcastNotice {
  return {
    eventId: `admin.broadcast:${row.broadcast_id}`,
    kind: NOTIFICATION_KIND[row.kind],
    payload: {
      broadcastId: row.broadcast_id,
      kind: row.kind,
      text: row.text,
      createdAt: isoOf(row.created_at),
    },
  };
}

function view(row: BroadcastRow): Broadcast {
  return {
    broadcastId: row.broadcast_id,
    kind: row.kind,
    text: row.text,
    status: row.status,
    recipients: row.recipients,
    createdBy: row.created_by,
    createdAt: isoOf(row.created_at),
    finishedAt: isoOrNull(row.finished_at),
  };
}

/**
 * Announcements and maintenance notices to every user. Each goes into every account's sync
 * timeline as a NOTIFICATION (the message service pushes it to online devices through whichever
 * gateway holds them; offline ones replay it on sync). Connected users come first: each live
 * gateway instance asks for their entries at once. Then every account is walked in batches by a
 * cursor saved with each batch's outbox event: a crash resumes where it stopped, and the one event
 * id makes a repeated batch, or a user already reached, append once.
 */
export interface BroadcastsDeps {
  sql: SqlExecutor;
  outbox: Outbox;
  accounts: AccountsClient;
  pubsub: PubSubPort;
  pubsubName: string;
  gateways: GatewayInstances;
  ids: SnowflakeGenerator;
  audit: AuditLog;
  logger: Logger;
}

export class Broadcasts {
  readonly #deps: BroadcastsDeps;
  readonly #events: EventPublisher;
  readonly #running = new Map<string, Promise<void>>();

  constructor(deps: BroadcastsDeps) {
    this.#deps = deps;
    this.#events = new EventPublisher(deps.pubsub, deps.pubsubName);
  }

  async create(actor: Actor, kind: BroadcastKind, text: string): Promise<Broadcast> {
    const broadcastId = this.#deps.ids.next();
    const [row] = await this.#deps.sql.query<BroadcastRow>(
      `insert into "admin"."broadcasts" (broadcast_id, kind, text, status, created_by, created_at)
       values (?, ?, ?, 'sending', ?, now()) returning ${COLUMNS}`,
      [broadcastId, kind, text, actor.id ?? 0],
    );
    await this.#deps.audit.record(actor, {
      action: `broadcast.${kind}`,
      resourceType: 'broadcast',
      resourceId: broadcastId,
      details: { text },
    });
    await this.#reachOnlineUsersFirst(notice(row!));
    this.#start(broadcastId);
    return view(row!);
  }

  /**
   * Asks every live gateway instance to have the notice appended for the users connected to it:
   * they get it now instead of when the walk over all accounts reaches them. Best effort: the walk
   * reaches everyone anyway, and the shared event id keeps it to once per user.
   */
  async #reachOnlineUsersFirst({ eventId, kind, payload }: BroadcastNotice) {
    try {
      for (const gateway of await this.#deps.gateways.live()) {
        await this.#events.publish(gatewayDeliveryTopic(gateway.instanceId), {
          deliveries: [],
          appendForConnected: { eventId, kind, payload: plainJson(payload) },
        });
      }
    } catch (error) {
      this.#deps.logger.warn({ err: error }, 'online users get the broadcast with the walk instead');
    }
  }

  async get(broadcastId: string): Promise<Broadcast> {
    const [row] = await this.#deps.sql.query<BroadcastRow>(
      `select ${COLUMNS} from "admin"."broadcasts" where broadcast_id = ?`,
      [broadcastId],
    );
    if (!row) throw new AppError(ErrorCode.NOT_FOUND, { detail: `no broadcast ${broadcastId}` });
    return view(row);
  }

  async list(limit: number): Promise<Broadcast[]> {
    const rows = await this.#deps.sql.query<BroadcastRow>(
      `select ${COLUMNS} from "admin"."broadcasts" order by created_at desc limit ?`,
      [limit],
    );
    return rows.map(view);
  }

  /** Picks up broadcasts left unfinished (by a crash, or by another replica that went away). */
  async resume(): Promise<void> {
    const rows = await this.#deps.sql.query<{ broadcast_id: string }>(
      `select broadcast_id::text from "admin"."broadcasts" where status = 'sending'`,
    );
    for (const row of rows) this.#start(row.broadcast_id);
  }

  /** Resolves when every running broadcast of this process has finished or failed (shutdown). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#running.values()]);
  }

  #start(broadcastId: string) {
    if (this.#running.has(broadcastId)) return;
    const run = this.#run(broadcastId)
      .catch((error: unknown) =>
        this.#deps.logger.warn({ err: error, broadcastId }, 'broadcast paused; it resumes on the next sweep'),
      )
      .finally(() => this.#running.delete(broadcastId));
    this.#running.set(broadcastId, run);
  }

  async #run(broadcastId: string): Promise<void> {
    const { sql, outbox, accounts } = this.#deps;
    for (;;) {
      const [row] = await sql.query<BroadcastRow>(
        `select ${COLUMNS} from "admin"."broadcasts" where broadcast_id = ?`,
        [broadcastId],
      );
      if (!row || row.status === 'done') return;
      const userIds = await accounts.activeIds(row.cursor_user_id, BATCH);
      if (userIds.length === 0) {
        await sql.query(
          `update "admin"."broadcasts" set status = 'done', finished_at = now() where broadcast_id = ? and status = 'sending'`,
          [broadcastId],
        );
        this.#deps.logger.info(
          { broadcastId, recipients: row.recipients },
          'broadcast delivered to every account',
        );
        return;
      }
      const stored = await sql.transaction(async (tx) => {
        // Only the holder of the current cursor moves it: two replicas never both count a batch.
        const moved = await tx.query(
          `update "admin"."broadcasts" set cursor_user_id = ?, recipients = recipients + ?
           where broadcast_id = ? and cursor_user_id = ? returning 1`,
          [userIds.at(-1), userIds.length, broadcastId, row.cursor_user_id],
        );
        if (moved.length === 0) return [];
        return outbox.store(tx, [timelineAppend({ ...notice(row), recipients: userIds })]);
      });
      await outbox.publish(stored);
    }
  }
}
