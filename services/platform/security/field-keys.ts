import { randomBytes } from 'node:crypto';
import type { SqlExecutor } from '../db/index.ts';
import { FieldCipher, type FieldKey, SEALED_PREFIX } from './field-cipher.ts';

const GENERATED_KEY_ID = 'generated';

/** The table a service's migration creates for the keys `fieldCipher` generates (or keeps after rotation). */
export const fieldKeysTableSql = (schema: string) => `create table "${schema}"."field_keys" (
  "key_id" text primary key,
  "key" text not null,
  "created_at" timestamptz not null default now()
)`;

/**
 * The key ring a service seals its sensitive columns with. Configured keys (TOTP_ENCRYPTION_KEYS,
 * from a Secret) come first; keys kept in the service's `field_keys` table follow, so values sealed
 * before keys were configured still open. Nothing configured (embedded shape): a key generated on
 * first start and kept there, the first insert winning when replicas start at once.
 */
export async function fieldCipher(
  sql: SqlExecutor,
  schema: string,
  configured: FieldKey[] | undefined,
): Promise<FieldCipher> {
  if (!configured) {
    await sql.query(
      `insert into "${schema}"."field_keys" ("key_id", "key") values (?, ?) on conflict ("key_id") do nothing`,
      [GENERATED_KEY_ID, randomBytes(32).toString('base64')],
    );
  }
  const stored = await sql.query<{ key_id: string; key: string }>(
    `select "key_id", "key" from "${schema}"."field_keys" order by "created_at" desc`,
  );
  const configuredIds = new Set((configured ?? []).map((k) => k.id));
  return new FieldCipher([
    ...(configured ?? []),
    ...stored
      .filter((row) => !configuredIds.has(row.key_id))
      .map((row) => ({ id: row.key_id, key: Buffer.from(row.key, 'base64') })),
  ]);
}

/**
 * Seals the values of a column still stored in plain text (rows from before sealing existed), once
 * per start; each update only applies while the row still holds the plain value it read.
 */
export async function sealPlainColumn(
  sql: SqlExecutor,
  cipher: FieldCipher,
  target: { table: string; key: string; column: string; context: (id: string) => string },
): Promise<number> {
  const rows = await sql.query<{ id: string; value: string }>(
    `select "${target.key}"::text as id, "${target.column}" as value from ${target.table}
     where "${target.column}" is not null and "${target.column}" not like ?`,
    [`${SEALED_PREFIX}:%`],
  );
  for (const row of rows) {
    await sql.query(
      `update ${target.table} set "${target.column}" = ? where "${target.key}" = ? and "${target.column}" = ?`,
      [cipher.seal(row.value, target.context(row.id)), row.id, row.value],
    );
  }
  return rows.length;
}
