import type { SqlExecutor } from '../../platform/db/index.ts';
import type { PushTarget } from '../providers/provider.ts';

/** A change of one device's registration, as the user service announces it. */
export interface RegistrationChange {
  userId: string;
  deviceId: string;
  removed: boolean;
  pushToken: string;
  platform: string;
  provider: string;
  language: string;
  version: bigint;
}

const T = '"push"."push_registrations"';

/**
 * The push service's copy of the push-token registry, fed by `user.push-token.changed`. Events
 * may come twice or out of order: a change applies only over an older version, and a removal
 * stays as a tombstone so that a late, older registration cannot bring the token back.
 */
export class Registrations {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  async apply(change: RegistrationChange): Promise<void> {
    await this.#sql.query(
      `insert into ${T} ("user_id", "device_id", "provider", "platform", "push_token", "language", "removed", "version")
       values (?, ?, ?, ?, ?, ?, ?, ?)
       on conflict ("user_id", "device_id") do update set
         "provider" = excluded."provider", "platform" = excluded."platform", "push_token" = excluded."push_token",
         "language" = excluded."language", "removed" = excluded."removed", "version" = excluded."version"
       where ${T}."version" < excluded."version"`,
      [
        change.userId,
        change.deviceId,
        change.provider,
        change.platform,
        change.pushToken,
        change.language,
        change.removed,
        change.version.toString(),
      ],
    );
  }

  /** The registered devices of these users. */
  async of(userIds: string[]): Promise<PushTarget[]> {
    if (userIds.length === 0) return [];
    const rows = await this.#sql.query<{
      user_id: string;
      device_id: string;
      provider: string;
      platform: string;
      push_token: string;
      language: string;
    }>(
      `select "user_id"::text as "user_id", "device_id", "provider", "platform", "push_token", "language"
       from ${T} where "user_id" in (select jsonb_array_elements_text(?::jsonb)::bigint) and not "removed"`,
      [JSON.stringify(userIds)],
    );
    return rows.map((row) => ({
      userId: row.user_id,
      deviceId: row.device_id,
      provider: row.provider,
      platform: row.platform,
      token: row.push_token,
      language: row.language,
    }));
  }

  /** The provider said the token is dead: no more pushes to it here, before the registry's event arrives. */
  async forget(target: PushTarget): Promise<void> {
    await this.#sql.query(
      `update ${T} set "removed" = true where "user_id" = ? and "device_id" = ? and "push_token" = ?`,
      [target.userId, target.deviceId, target.token],
    );
  }
}
