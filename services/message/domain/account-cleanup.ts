import { AccountStatusCodes, AuthTopics } from '../../platform/contracts/index.ts';
import type { SqlExecutor } from '../../platform/db/index.ts';
import { eventSubscription } from '../../platform/events/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Subscription } from '../../platform/ports/index.ts';

/**
 * A deleted account's private message-service data goes: its drafts, and its scheduled messages not
 * sent yet are cancelled (nobody may post for it any more). The messages it sent stay, for the
 * other participants, and show its anonymised profile. Safe to repeat.
 */
export async function cleanUpDeletedAccount(sql: SqlExecutor, userId: string): Promise<void> {
  await sql.query('delete from "message"."drafts" where "user_id" = ?', [userId]);
  await sql.query(
    `update "message"."scheduled_messages" set "status" = 'cancelled', "updated_at" = now()
      where "sender_id" = ? and "status" = 'pending'`,
    [userId],
  );
}

/** The subscription that runs cleanUpDeletedAccount on `auth.account.status-changed` (3, deleted). */
export function accountDeletedSubscription(
  sql: SqlExecutor,
  pubsubName: string,
  logger: Logger,
): Subscription {
  return eventSubscription({
    pubsubName,
    topic: AuthTopics.accountStatusChanged,
    logger,
    async handle(data) {
      if (data.status === AccountStatusCodes.DELETED) await cleanUpDeletedAccount(sql, data.userId);
    },
  });
}
