import type { SqlExecutor } from '../../platform/db/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { AdminPrincipal } from '../../platform/security/index.ts';
import { isoOf } from './timestamps.ts';

export type ActorType = 'admin' | 'user' | 'system';

/** Who did it and from where. */
export interface Actor {
  type: ActorType;
  /** Admin id or user id; absent for the system and unknown login names. */
  id?: string | null | undefined;
  name?: string | null | undefined;
  ip?: string | null | undefined;
}

export interface AuditEntry {
  action: string;
  resourceType?: string;
  resourceId?: string;
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  id: string;
  actorType: ActorType;
  actorId: string | null;
  actorName: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  createdAt: string;
}

export interface AuditQuery {
  since?: Date | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  userId?: string | undefined;
  limit: number;
}

export const adminActor = (admin: AdminPrincipal, ip: string): Actor => ({
  type: 'admin',
  id: admin.adminId,
  name: admin.username,
  ip,
});

export const SYSTEM_ACTOR: Actor = { type: 'system', name: 'system' };

/** The audit log: every admin action and every login, who, what, when, from where. Append-only. */
export class AuditLog {
  readonly #sql: SqlExecutor;
  readonly #ids: SnowflakeGenerator;

  constructor(sql: SqlExecutor, ids: SnowflakeGenerator) {
    this.#sql = sql;
    this.#ids = ids;
  }

  /**
   * Appends one record. `id` makes a redelivered event (chat-user logins arrive by pub/sub)
   * count once.
   */
  async record(actor: Actor, entry: AuditEntry, at = new Date(), id = this.#ids.next()): Promise<void> {
    await this.#sql.query(
      `insert into "admin"."audit_logs"
        (id, actor_type, admin_id, user_id, actor_name, action, resource_type, resource_id, details, ip_address, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing`,
      [
        id,
        actor.type,
        actor.type === 'admin' ? (actor.id ?? null) : null,
        actor.type === 'user' ? (actor.id ?? null) : null,
        actor.name?.slice(0, 64) ?? null,
        entry.action,
        entry.resourceType ?? null,
        entry.resourceId ?? null,
        JSON.stringify(entry.details ?? {}),
        actor.ip?.slice(0, 50) ?? null,
        at,
      ],
    );
  }

  /** Newest first. */
  async query(query: AuditQuery): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, ...values: unknown[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (query.since) add('created_at >= ?', query.since);
    if (query.actor) add('actor_name = ?', query.actor);
    if (query.action) add('action = ?', query.action);
    if (query.userId) {
      add("(user_id = ? or (resource_type = 'user' and resource_id = ?))", query.userId, query.userId);
    }
    params.push(query.limit);
    const rows = await this.#sql.query<{
      id: string;
      actor_type: ActorType;
      admin_id: string | null;
      user_id: string | null;
      actor_name: string | null;
      action: string;
      resource_type: string | null;
      resource_id: string | null;
      details: Record<string, unknown>;
      ip_address: string | null;
      created_at: string;
    }>(
      `select id::text, actor_type, admin_id::text, user_id::text, actor_name, action, resource_type, resource_id,
         details, ip_address, created_at
       from "admin"."audit_logs" ${where.length ? `where ${where.join(' and ')}` : ''}
       order by created_at desc, audit_logs.id desc limit ?`,
      params,
    );
    return rows.map((row) => ({
      id: row.id,
      actorType: row.actor_type,
      actorId: row.admin_id ?? row.user_id,
      actorName: row.actor_name,
      action: row.action,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      details: row.details,
      ip: row.ip_address,
      createdAt: isoOf(row.created_at),
    }));
  }
}
