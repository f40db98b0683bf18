import { maintainPartitions, messagePartitionSpec } from '../../common/index.ts';
import {
  GroupTopics,
  readReceiptsOf,
  SYSTEM_SENDER,
  SystemMessageTopic,
  TimelineTopics,
  UserTopics,
} from '../platform/contracts/index.ts';
import { sqlExecutor } from '../platform/db/index.ts';
import { eventSubscription } from '../platform/events/index.ts';
import { SensitiveWords } from '../platform/moderation/index.ts';
import { Outbox } from '../platform/outbox.ts';
import { DeliveryRouter, PresenceRegistry } from '../platform/presence/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { FileSharing } from './clients/files.ts';
import { FriendClient } from './clients/friends.ts';
import { GroupDirectory } from './clients/groups.ts';
import { ProfileCache } from './clients/profiles.ts';
import { accountDeletedSubscription } from './domain/account-cleanup.ts';
import { ContentValidator } from './domain/content.ts';
import { MessageEdits } from './domain/edits.ts';
import { GroupStreamStore } from './domain/group-stream-store.ts';
import { GroupStreams } from './domain/group-streams.ts';
import { InteractionStore } from './domain/interactions-store.ts';
import { MessageService } from './domain/message-service.ts';
import { SystemNotices } from './domain/notices.ts';
import { MessagePins } from './domain/pins.ts';
import { MessageReactions } from './domain/reactions.ts';
import { ReadFanoutGroups } from './domain/read-fanout.ts';
import { MessageSearch } from './domain/search.ts';
import { MessageStore } from './domain/store.ts';
import { MessageThreads } from './domain/threads.ts';
import { messageFeatures } from './features.ts';
import { interactionRoutes } from './interaction-routes.ts';
import { messageInternal } from './internal.ts';
import { messageMetrics } from './metrics.ts';
import { Migration20261122000400_message } from './migrations/Migration20261122000400_message.ts';
import { Migration20261122000410_store_message } from './migrations/Migration20261122000410_store_message.ts';
import { Migration20261122000420_message_stats } from './migrations/Migration20261122000420_message_stats.ts';
import { Migration20261130000430_store_messages } from './migrations/Migration20261130000430_store_messages.ts';
import { Migration20261130000440_read_fanout } from './migrations/Migration20261130000440_read_fanout.ts';
import { Migration20261130001000_edits_reactions_pins_threads } from './migrations/Migration20261130001000_edits_reactions_pins_threads.ts';
import { Migration20261130001100_timers_drafts } from './migrations/Migration20261130001100_timers_drafts.ts';
import { Migration20261130001200_search_trigram } from './migrations/Migration20261130001200_search_trigram.ts';
import { Migration20261130001210_group_webhooks } from './migrations/Migration20261130001210_group_webhooks.ts';
import { Migration20261201001020_outgoing_webhooks } from './migrations/Migration20261201001020_outgoing_webhooks.ts';
import { messageRoutes } from './routes.ts';
import { IncomingWebhooks, WebhookStore, webhookRoutes } from './webhooks/index.ts';
import { outgoingWebhookFeature } from './webhooks/outgoing-feature.ts';

const DAY_MS = 86_400_000;
const OUTBOX_SWEEP_MS = 5000;

export const messageService: ServiceModule = {
  name: 'message',
  schema: 'message',
  entities: [],
  migrations: [
    { name: 'Migration20261122000400_message', class: Migration20261122000400_message },
    { name: 'Migration20261122000410_store_message', class: Migration20261122000410_store_message },
    { name: 'Migration20261122000420_message_stats', class: Migration20261122000420_message_stats },
    { name: 'Migration20261130000430_store_messages', class: Migration20261130000430_store_messages },
    { name: 'Migration20261130000440_read_fanout', class: Migration20261130000440_read_fanout },
    {
      name: 'Migration20261130001000_edits_reactions_pins_threads',
      class: Migration20261130001000_edits_reactions_pins_threads,
    },
    { name: 'Migration20261130001100_timers_drafts', class: Migration20261130001100_timers_drafts },
    { name: 'Migration20261130001200_search_trigram', class: Migration20261130001200_search_trigram },
    { name: 'Migration20261130001210_group_webhooks', class: Migration20261130001210_group_webhooks },
    { name: 'Migration20261201001020_outgoing_webhooks', class: Migration20261201001020_outgoing_webhooks },
  ],
  async create(ctx) {
    const config = ctx.config.message;
    const sql = sqlExecutor(ctx.orm);
    const partitions = messagePartitionSpec({
      monthsAhead: config.partitionMonthsAhead,
      retentionMonths: config.retentionMonths,
      expired: config.expiredPartitions,
    });
    let maintenance: NodeJS.Timeout | undefined;
    if (config.partitionsManagedBy === 'service') {
      const maintain = async () => {
        const report = await maintainPartitions(sql, partitions);
        if (report.created.length + report.dropped.length + report.detached.length > 0)
          ctx.logger.info(
            { ...report, partitions: report.partitions.length },
            'message partitions maintained',
          );
      };
      await maintain();
      maintenance = setInterval(
        () =>
          void maintain().catch((error: unknown) =>
            ctx.logger.error({ err: error }, 'partition maintenance failed'),
          ),
        DAY_MS,
      );
      maintenance.unref();
    }

    const outbox = new Outbox({
      sql,
      schema: 'message',
      pubsub: ctx.pubsub,
      pubsubName: ctx.pubsubName,
      ids: ctx.ids,
      logger: ctx.logger,
    });
    outbox.start(OUTBOX_SWEEP_MS);
    const profiles = new ProfileCache(ctx.invoke);
    const groups = new GroupDirectory(ctx.invoke);
    const presence = new PresenceRegistry(ctx.sharedState, {
      entryTtlSeconds: ctx.config.gateway.presenceTtlSeconds,
    });
    const store = new MessageStore(sql, outbox);
    const content = new ContentValidator(config.maxTextLength);
    const messages = new MessageService({
      store,
      content,
      files: new FileSharing(ctx.invoke),
      profiles,
      groups,
      router: new DeliveryRouter(presence, ctx.pubsub, ctx.pubsubName),
      friends: new FriendClient(ctx.invoke),
      outbox,
      ids: ctx.ids,
      logger: ctx.logger,
      recallWindowMs: config.recallWindowSeconds * 1000,
      allowStrangers: config.allowStrangers,
      words: new SensitiveWords(ctx.sharedState, {
        refreshMs: ctx.config.moderation.sensitiveWordsRefreshMs,
        logger: ctx.logger,
      }),
      sendBatch: { maxBatch: config.sendBatchSize, maxWaitMicros: config.sendBatchWaitMicros },
      readFanout: new ReadFanoutGroups(config.groupReadFanoutMinMembers),
      search: new MessageSearch(sql),
      readReceipts: (userIds) => readReceiptsOf(ctx.invoke, userIds),
    });
    const webhooks = new IncomingWebhooks({ store: new WebhookStore(sql), groups, messages, ids: ctx.ids });
    const outgoing = await outgoingWebhookFeature({
      sql,
      messages: store,
      groups,
      profiles,
      ids: ctx.ids,
      logger: ctx.logger,
      config: ctx.config,
      pubsubName: ctx.pubsubName,
    });
    const streams = new GroupStreams(new GroupStreamStore(sql), (ids) =>
      profiles.get(ids.filter((id) => id !== SYSTEM_SENDER)),
    );

    const notices = new SystemNotices(messages);
    const interactionStore = new InteractionStore(sql, store, outbox);
    const interactions = {
      edits: new MessageEdits({
        messages,
        store: interactionStore,
        content,
        outbox,
        windowMs: config.editWindowSeconds * 1000,
      }),
      reactions: new MessageReactions({ messages, store: interactionStore, ids: ctx.ids, outbox }),
      pins: new MessagePins({ messages, store: interactionStore, ids: ctx.ids }),
      threads: new MessageThreads(messages, interactionStore),
    };
    const features = messageFeatures({
      sql,
      store,
      outbox,
      messages,
      content,
      groups,
      profiles,
      ids: ctx.ids,
      logger: ctx.logger,
      config: ctx.config,
    });
    features.start();

    return {
      routes: [
        ...messageRoutes(messages, streams),
        ...interactionRoutes(interactions),
        ...features.routes,
        ...webhookRoutes(webhooks, ctx.config.rateLimitFactor),
        ...outgoing.routes,
      ],
      metrics: messageMetrics(sql, partitions),
      subscriptions: [
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: TimelineTopics.append,
          logger: ctx.logger,
          // The timeline first (the NOTIFICATION frame), then the system conversation's message.
          handle: async (append) => {
            await messages.appendNotification(append);
            await notices.post(append);
          },
        }),
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: SystemMessageTopic,
          logger: ctx.logger,
          handle: (request) => messages.postSystemMessage(request),
        }),
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: GroupTopics.changed,
          logger: ctx.logger,
          handle: async (changed) => groups.forget(changed.groupId),
        }),
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: UserTopics.profileUpdated,
          logger: ctx.logger,
          handle: async (updated) => profiles.forget(updated.userId),
        }),
        outgoing.subscription,
        accountDeletedSubscription(sql, ctx.pubsubName, ctx.logger),
      ],
      internal: messageInternal(messages, streams, features.selfDestruct),
      async stop() {
        clearInterval(maintenance);
        outgoing.stop();
        await features.stop();
        await outbox.stop();
      },
    };
  },
};
