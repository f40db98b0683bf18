import { timestampDate } from '@bufbuild/protobuf/wkt';
import { GatewayTopics, MessageTopics, TimelineTopics, UserTopics } from '../platform/contracts/index.ts';
import { sqlExecutor } from '../platform/db/index.ts';
import { EventPublisher, eventBulkSubscription, eventSubscription } from '../platform/events/index.ts';
import { PresenceRegistry } from '../platform/presence/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { Directory } from './clients/directory.ts';
import { MessageTimeline } from './clients/timeline.ts';
import {
  ConversationState,
  DEFAULT_PREFERENCES,
  Dispatcher,
  Preferences,
  PushPlanner,
  PushRetention,
  PushStatistics,
  Registrations,
  RingWithdrawal,
} from './domain/index.ts';
import { pushInternal } from './internal.ts';
import { Migration20261130000800_push } from './migrations/Migration20261130000800_push.ts';
import { Migration20261130000810_push_pending } from './migrations/Migration20261130000810_push_pending.ts';
import { createProviders, vapidKeys } from './providers/index.ts';
import { pushRoutes } from './routes.ts';

/**
 * Messages pushed at most to a device that left after its offline grace (the newest; the badge
 * still counts the rest, and each conversation's push says how many it collapses).
 */
const MISSED_AT_MOST = 20;

/** `message.created` batches: as many as arrived within a millisecond, up to 200 (as the conversation list takes them). */
const CREATED_BATCH = { maxMessages: 200, maxAwaitMs: 1 };

/**
 * The push service (seed §4.8, §4.13): offline pushes through Web Push, FCM and APNs for new
 * messages, @mentions, friend requests and group invitations, to the devices that are not
 * connected, under the user's policies. It keeps its own copies of the push registry and the
 * users' push preferences (the user service's events) and of read positions (the message
 * service's), and asks the session service for mutes and unread totals.
 */
export const pushService: ServiceModule = {
  name: 'push',
  schema: 'push',
  entities: [],
  migrations: [
    { name: 'Migration20261130000800_push', class: Migration20261130000800_push },
    { name: 'Migration20261130000810_push_pending', class: Migration20261130000810_push_pending },
  ],
  async create(ctx) {
    const sql = sqlExecutor(ctx.orm);
    const settings = ctx.config.push;
    const registrations = new Registrations(sql);
    const preferences = new Preferences(sql, ctx.config.defaultLanguage);
    const directory = new Directory(ctx.invoke);
    const vapid = await vapidKeys(sql, settings.vapid);
    const providers = createProviders(settings, vapid);
    const dispatcher = new Dispatcher({
      sql,
      ids: ctx.ids,
      logger: ctx.logger,
      providers,
      registrations,
      directory,
      events: new EventPublisher(ctx.pubsub, ctx.pubsubName),
      maxAttempts: settings.maxAttempts,
      retryBaseMs: settings.retryBaseMs,
      concurrency: settings.concurrency,
    });
    // Retries are due at the base wait at the soonest: looking as often catches them in time.
    dispatcher.start(Math.min(Math.max(settings.retryBaseMs, 50), 1000));
    const planner = new PushPlanner({
      registrations,
      preferences,
      conversations: new ConversationState(sql),
      presence: new PresenceRegistry(ctx.sharedState, {
        entryTtlSeconds: ctx.config.gateway.presenceTtlSeconds,
      }),
      directory,
      dispatcher,
      ttlSeconds: settings.ttlSeconds,
    });
    const withdrawal = new RingWithdrawal({
      sql,
      registrations,
      directory,
      dispatcher,
      ttlSeconds: settings.ttlSeconds,
    });
    const timeline = new MessageTimeline(ctx.invoke);
    const on = { pubsubName: ctx.pubsubName, logger: ctx.logger };
    const retention = new PushRetention(sql, settings.logRetentionDays);
    const sweeper = setInterval(
      () =>
        void retention
          .sweep()
          .catch((error: unknown) => ctx.logger.warn({ err: error }, 'push sweep failed')),
      settings.sweepSeconds * 1000,
    );
    sweeper.unref();

    return {
      routes: pushRoutes(vapid.publicKey),
      metrics: [dispatcher.attempts],
      subscriptions: [
        eventSubscription({
          ...on,
          topic: UserTopics.pushTokenChanged,
          handle: (change) => registrations.apply(change),
        }),
        eventSubscription({
          ...on,
          topic: UserTopics.settingsUpdated,
          handle: async ({ userId, settings: s }) => {
            if (!s) return 'DROP';
            await preferences.apply(userId, {
              notificationEnabled: s.notificationEnabled,
              language: s.language || preferences.defaults.language,
              dndStart: s.dndStart ?? null,
              dndEnd: s.dndEnd ?? null,
              timeZone: s.timeZone || DEFAULT_PREFERENCES.timeZone,
              pushPreview: s.pushPreview,
              pushMentionsWhenMuted: s.pushMentionsWhenMuted,
            });
            return 'SUCCESS';
          },
        }),
        // In batches: one registrations read and one presence read for all the batch's recipients.
        eventBulkSubscription({
          ...on,
          topic: MessageTopics.created,
          ...CREATED_BATCH,
          handle: async (messages) => {
            // Keyed by the message, not the CloudEvent: a broker's redelivery and an outbox's second
            // publish of one message are the same push.
            const outcomes = await planner.messagesCreated(messages, (m) => `message:${m.messageId}`);
            return outcomes.map((outcome, i) => {
              if (outcome.status === 'fulfilled') return 'SUCCESS';
              ctx.logger.warn(
                { err: outcome.reason, messageId: messages[i]!.messageId },
                'push planning failed; will retry',
              );
              return 'RETRY';
            });
          },
        }),
        eventSubscription({
          ...on,
          topic: GatewayTopics.deviceLeft,
          // The messages a device missed while the gateway kept it in the presence registry after
          // its socket dropped (GATEWAY_OFFLINE_GRACE_MS), under the event ids of the ordinary
          // path: what was pushed to the device already is not pushed again. Read fan-out groups'
          // messages are outside the timeline and are not pushed here.
          handle: (left) =>
            planner.deviceLeft(
              left.userId,
              left.deviceId,
              () =>
                timeline.missed(
                  left.userId,
                  Number(left.afterSyncSeq),
                  left.leftAt ? timestampDate(left.leftAt) : new Date(),
                  MISSED_AT_MOST,
                ),
              (message) => `message:${message.messageId}`,
            ),
        }),
        eventSubscription({
          ...on,
          topic: MessageTopics.read,
          handle: (read) =>
            planner.messageRead(read, `read:${read.userId}:${read.sessionId}:${read.readSeq}`),
        }),
        eventSubscription({
          ...on,
          topic: MessageTopics.reacted,
          handle: (reaction) => planner.reacted(reaction),
        }),
        eventSubscription({
          ...on,
          topic: TimelineTopics.append,
          // A call's ring is withdrawn from the devices it rang once it was answered or is over.
          handle: (notice) =>
            RingWithdrawal.handles(notice.kind) ? withdrawal.notice(notice) : planner.notification(notice),
        }),
      ],
      internal: pushInternal(planner, new PushStatistics(sql), ctx.ids),
      async stop() {
        clearInterval(sweeper);
        await dispatcher.stop();
        for (const provider of providers.values()) await provider.close?.();
      },
    };
  },
};
