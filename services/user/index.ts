import { AccountStatusCodes, AuthTopics, avatarUrlOf } from '../platform/contracts/index.ts';
import { sqlExecutor } from '../platform/db/index.ts';
import { eventSubscription } from '../platform/events/index.ts';
import { SensitiveWords } from '../platform/moderation/index.ts';
import { Outbox } from '../platform/outbox.ts';
import { PresenceRegistry } from '../platform/presence/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { friendsAmong, relationOf } from './clients/friends.ts';
import { deletionRoutes } from './deletion-routes.ts';
import { DataExports } from './domain/data-exports.ts';
import { buildExportArchive } from './domain/export-archive.ts';
import { PrivacySettings } from './domain/privacy.ts';
import { PushTokens } from './domain/push-tokens.ts';
import { UserSearch } from './domain/search.ts';
import { userDetail } from './domain/user-detail.ts';
import { UserService } from './domain/user-service.ts';
import { userEntities } from './entities.ts';
import { exportDownloadHandler, exportRoutes } from './export-routes.ts';
import { userInternal } from './internal.ts';
import { Migration20261122000200_user } from './migrations/Migration20261122000200_user.ts';
import { Migration20261122000210_user_deleted } from './migrations/Migration20261122000210_user_deleted.ts';
import { Migration20261130001300_privacy } from './migrations/Migration20261130001300_privacy.ts';
import { Migration20261130001500_data_exports } from './migrations/Migration20261130001500_data_exports.ts';
import { Migration20261201000220_group_invite_policy } from './migrations/Migration20261201000220_group_invite_policy.ts';
import { Migration20261201000230_push_registry } from './migrations/Migration20261201000230_push_registry.ts';
import { Migration20261201001010_bot_profiles } from './migrations/Migration20261201001010_bot_profiles.ts';
import { userRoutes } from './routes.ts';

/** How often unpublished notifications are retried. */
const OUTBOX_SWEEP_MS = 15_000;
/** How often data exports left by a stopped process (or queued while this one was busy) are looked for. */
const EXPORT_SWEEP_MS = 5_000;

export const userService: ServiceModule = {
  name: 'user',
  schema: 'user',
  entities: userEntities,
  migrations: [
    { name: 'Migration20261122000200_user', class: Migration20261122000200_user },
    { name: 'Migration20261122000210_user_deleted', class: Migration20261122000210_user_deleted },
    {
      name: 'Migration20261201000220_group_invite_policy',
      class: Migration20261201000220_group_invite_policy,
    },
    { name: 'Migration20261201000230_push_registry', class: Migration20261201000230_push_registry },
    { name: 'Migration20261201001010_bot_profiles', class: Migration20261201001010_bot_profiles },
    { name: 'Migration20261130001300_privacy', class: Migration20261130001300_privacy },
    { name: 'Migration20261130001500_data_exports', class: Migration20261130001500_data_exports },
  ],
  async create(ctx) {
    const outbox = new Outbox({
      sql: sqlExecutor(ctx.orm),
      schema: 'user',
      pubsub: ctx.pubsub,
      pubsubName: ctx.pubsubName,
      ids: ctx.ids,
      logger: ctx.logger,
    });
    const pushTokens = new PushTokens(ctx.orm, outbox, ctx.ids);
    const users = new UserService({
      pushTokens,
      orm: ctx.orm,
      store: ctx.state.store(ctx.config.dapr.stateStoreName),
      outbox,
      ids: ctx.ids,
      logger: ctx.logger,
      qrcodeTtlSeconds: ctx.config.user.qrcodeTtlSeconds,
      avatarUrl: (userId, fileId) => avatarUrlOf(ctx.invoke, { userId, fileId }),
      publicUrl: ctx.publicUrl,
      blockedNicknameWords: ctx.config.user.nicknameBlocklist,
      defaultLanguage: ctx.config.defaultLanguage,
      words: new SensitiveWords(ctx.sharedState, {
        refreshMs: ctx.config.moderation.sensitiveWordsRefreshMs,
        logger: ctx.logger,
      }),
    });
    const privacy = new PrivacySettings({ orm: ctx.orm, outbox, ids: ctx.ids });
    outbox.start(OUTBOX_SWEEP_MS);
    const exports = new DataExports({
      sql: sqlExecutor(ctx.orm),
      ids: ctx.ids,
      logger: ctx.logger,
      build: (userId) => buildExportArchive({ users, privacy, invoke: ctx.invoke }, userId),
    });
    exports.startSweeper(EXPORT_SWEEP_MS);
    // Exports a stopped process left pending are built now, not at the first tick.
    exports.sweepNow();
    return {
      rawHandlers: [exportDownloadHandler(exports)],
      routes: [
        ...userRoutes(
          users,
          pushTokens,
          userDetail(
            users,
            (userId, peerId) => relationOf(ctx.invoke, userId, peerId),
            new PresenceRegistry(ctx.sharedState, { entryTtlSeconds: ctx.config.gateway.presenceTtlSeconds }),
            (userId) => privacy.get(userId),
          ),
          new UserSearch({
            orm: ctx.orm,
            privacy,
            friendsAmong: (viewerId, userIds) => friendsAmong(ctx.invoke, viewerId, userIds),
          }),
          privacy,
        ),
        ...exportRoutes(exports, ctx.publicUrl, ctx.config.rateLimitFactor),
        ...deletionRoutes(ctx.invoke, ctx.config.rateLimitFactor),
      ],
      subscriptions: [
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: AuthTopics.userRegistered,
          logger: ctx.logger,
          // Repairs a profile that the synchronous call at registration did not create.
          handle: (registered) =>
            users.createProfile(
              {
                userId: registered.userId,
                account: registered.account,
                phoneNumber: registered.phoneNumber ?? null,
                email: registered.email ?? null,
                nickname: registered.nickname ?? null,
              },
              'use-account',
            ),
        }),
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: AuthTopics.accountStatusChanged,
          logger: ctx.logger,
          // A deleted account leaves the directory and its exports go; a ban or a freeze changes nothing here.
          async handle(data) {
            if (data.status !== AccountStatusCodes.DELETED) return;
            await users.eraseDeletedAccount(data.userId);
            await exports.eraseAllOf(data.userId);
          },
        }),
      ],
      internal: userInternal(users, pushTokens, privacy),
      stop: async () => {
        await exports.stop();
        await outbox.stop();
      },
    };
  },
};
