import type { Config } from '../../platform/config.ts';
import { MessageTopics } from '../../platform/contracts/index.ts';
import type { SqlExecutor } from '../../platform/db/index.ts';
import { eventBulkSubscription } from '../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { fieldCipher } from '../../platform/security/index.ts';
import type { GroupDirectory } from '../clients/groups.ts';
import type { ProfileCache } from '../clients/profiles.ts';
import type { MessageStore } from '../domain/store.ts';
import { OutgoingWebhooks } from './outgoing.ts';
import { OutgoingDeliveries } from './outgoing-deliveries.ts';
import { outgoingWebhookRoutes } from './outgoing-routes.ts';
import { OutgoingWebhookStore } from './outgoing-store.ts';

/** `message.created` batches: as many as arrived within a millisecond, up to 200 (as the conversation list takes them). */
const CREATED_BATCH = { maxMessages: 200, maxAwaitMs: 1 };

/** Outgoing webhooks of the message service: their routes, and their delivery from `message.created`. */
export async function outgoingWebhookFeature(deps: {
  sql: SqlExecutor;
  messages: MessageStore;
  groups: GroupDirectory;
  profiles: ProfileCache;
  ids: SnowflakeGenerator;
  logger: Logger;
  config: Config;
  pubsubName: string;
}) {
  const settings = deps.config.message.outgoingWebhooks;
  // Secrets sign deliveries, so they are sealed (not hashed), with the keys the other sealed columns use.
  const cipher = await fieldCipher(deps.sql, 'message', deps.config.auth.totpKeys);
  const store = new OutgoingWebhookStore(deps.sql);
  const webhooks = new OutgoingWebhooks({
    store,
    groups: deps.groups,
    profiles: deps.profiles,
    cipher,
    ids: deps.ids,
    allowPrivate: settings.allowPrivate,
  });
  const deliveries = new OutgoingDeliveries({
    store,
    messages: deps.messages,
    cipher,
    limits: settings,
    logger: deps.logger,
  });
  deliveries.start();
  return {
    routes: outgoingWebhookRoutes(webhooks, deps.config.rateLimitFactor),
    // In batches: one read of the webhooks that follow any message of the batch, not one per message.
    subscription: eventBulkSubscription({
      pubsubName: deps.pubsubName,
      topic: MessageTopics.created,
      logger: deps.logger,
      ...CREATED_BATCH,
      handle: (batch) => deliveries.handleBatch(batch),
    }),
    stop: () => deliveries.stop(),
  };
}
