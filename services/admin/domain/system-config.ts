import { SENSITIVE_WORDS_KEY, type SensitiveWordsPolicy } from '../../platform/contracts/index.ts';
import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { normalizeWords } from '../../platform/moderation/index.ts';
import type { StateStore } from '../../platform/ports/index.ts';
import type { Actor, AuditLog } from './audit-log.ts';
import { isoOf } from './timestamps.ts';

export interface ConfigItem {
  key: string;
  value: unknown;
  updatedAt: string;
  updatedBy: string;
}

/** The row that records the sensitive-word policy; the other services read its copy in shared state. */
const SENSITIVE_WORDS_ROW = 'moderation.sensitiveWords';
const NO_WORDS: SensitiveWordsPolicy = { words: [], action: 'mask' };

/**
 * System configuration (basic, customer service, storage, push… as namespaced keys) and the
 * sensitive-word policy. PostgreSQL is the record; the policy is also published to the shared
 * state store, where the message, user and group services read it.
 */
export class SystemConfig {
  readonly #sql: SqlExecutor;
  readonly #shared: StateStore;
  readonly #audit: AuditLog;

  constructor(sql: SqlExecutor, shared: StateStore, audit: AuditLog) {
    this.#sql = sql;
    this.#shared = shared;
    this.#audit = audit;
  }

  async list(): Promise<ConfigItem[]> {
    const rows = await this.#sql.query<{
      config_key: string;
      value: unknown;
      updated_at: string;
      updated_by: string;
    }>(
      `select config_key, value, updated_at, updated_by::text from "admin"."system_configs"
       where config_key <> ? order by config_key`,
      [SENSITIVE_WORDS_ROW],
    );
    return rows.map((row) => ({
      key: row.config_key,
      value: row.value,
      updatedAt: isoOf(row.updated_at),
      updatedBy: row.updated_by,
    }));
  }

  async set(actor: Actor, key: string, value: unknown): Promise<ConfigItem> {
    this.#assertUserKey(key);
    await this.#write(actor, key, value);
    await this.#audit.record(actor, {
      action: 'config.set',
      resourceType: 'config',
      resourceId: key,
      details: { value },
    });
    return (await this.list()).find((item) => item.key === key)!;
  }

  async unset(actor: Actor, key: string): Promise<void> {
    this.#assertUserKey(key);
    const removed = await this.#sql.query(
      'delete from "admin"."system_configs" where config_key = ? returning 1',
      [key],
    );
    if (removed.length === 0)
      throw new AppError(ErrorCode.NOT_FOUND, { detail: `no configuration key ${key}` });
    await this.#audit.record(actor, { action: 'config.unset', resourceType: 'config', resourceId: key });
  }

  async sensitiveWords(): Promise<SensitiveWordsPolicy> {
    const [row] = await this.#sql.query<{ value: SensitiveWordsPolicy }>(
      'select value from "admin"."system_configs" where config_key = ?',
      [SENSITIVE_WORDS_ROW],
    );
    return row?.value ?? NO_WORDS;
  }

  async setSensitiveWords(actor: Actor, policy: SensitiveWordsPolicy): Promise<SensitiveWordsPolicy> {
    const normalized: SensitiveWordsPolicy = {
      words: normalizeWords(policy.words).sort(),
      action: policy.action,
    };
    await this.#write(actor, SENSITIVE_WORDS_ROW, normalized);
    await this.#shared.save(SENSITIVE_WORDS_KEY, normalized);
    await this.#audit.record(actor, {
      action: 'sensitive-words.set',
      resourceType: 'config',
      resourceId: SENSITIVE_WORDS_ROW,
      details: { count: normalized.words.length, action: normalized.action },
    });
    return normalized;
  }

  /** Copies the recorded policy to shared state (at start: a flushed cache must not drop the filter). */
  async publishSensitiveWords(): Promise<void> {
    await this.#shared.save(SENSITIVE_WORDS_KEY, await this.sensitiveWords());
  }

  async #write(actor: Actor, key: string, value: unknown) {
    await this.#sql.query(
      `insert into "admin"."system_configs" (config_key, value, updated_by, updated_at) values (?, ?, ?, now())
       on conflict (config_key) do update set value = excluded.value, updated_by = excluded.updated_by,
         updated_at = excluded.updated_at`,
      [key, JSON.stringify(value), actor.id ?? 0],
    );
  }

  #assertUserKey(key: string) {
    if (key === SENSITIVE_WORDS_ROW) {
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail: `key ${key} is managed by /admin/sensitive-words`,
      });
    }
  }
}
