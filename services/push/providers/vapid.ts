import webPush from 'web-push';
import type { SqlExecutor } from '../../platform/db/index.ts';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * The VAPID key pair (RFC 8292) this deployment signs Web Push requests with: the configured one,
 * or (embedded shape, nothing configured) one generated on first start and kept in the push
 * schema, so that browsers' subscriptions, made with its public key, stay valid across restarts.
 * Concurrent first starts agree: the first insert wins and every instance reads it back.
 */
export async function vapidKeys(sql: SqlExecutor, configured: VapidKeys | undefined): Promise<VapidKeys> {
  if (configured) return configured;
  const generated = webPush.generateVAPIDKeys();
  await sql.query(
    `insert into "push"."push_keys" ("name", "public_key", "private_key") values ('vapid', ?, ?)
     on conflict ("name") do nothing`,
    [generated.publicKey, generated.privateKey],
  );
  const [row] = await sql.query<{ public_key: string; private_key: string }>(
    `select "public_key", "private_key" from "push"."push_keys" where "name" = 'vapid'`,
  );
  if (!row) throw new Error('the VAPID key pair was not stored');
  return { publicKey: row.public_key, privateKey: row.private_key };
}
