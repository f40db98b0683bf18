import { AccountStatusCodes, AuthTopics, UserTopics } from '../platform/contracts/index.ts';
import { sqlExecutor } from '../platform/db/index.ts';
import { eventSubscription } from '../platform/events/index.ts';
import { Outbox } from '../platform/outbox.ts';
import { PresenceRegistry } from '../platform/presence/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { GroupClient } from './clients/groups.ts';
import { UserClient } from './clients/users.ts';
import { AccountRemoval } from './domain/account-removal.ts';
import { createFriendDomain } from './domain/index.ts';
import { friendEntities } from './entities.ts';
import { friendInternal } from './internal.ts';
import { Migration20261122000300_friend } from './migrations/Migration20261122000300_friend.ts';
import { friendRoutes } from './routes.ts';
import { FriendStore } from './store/index.ts';

/** Profile fields a friend list shows. */
const LISTED_FIELDS = new Set(['nickname', 'avatar', 'signature']);
/** How often unpublished notifications are retried. */
const OUTBOX_SWEEP_MS = 15_000;

export const friendService: ServiceModule = {
  name: 'friend',
  schema: 'friend',
  entities: friendEntities,
  migrations: [{ name: 'Migration20261122000300_friend', class: Migration20261122000300_friend }],
  async create(ctx) {
    const outbox = new Outbox({
      sql: sqlExecutor(ctx.orm),
      schema: 'friend',
      pubsub: ctx.pubsub,
      pubsubName: ctx.pubsubName,
      ids: ctx.ids,
      logger: ctx.logger,
    });
    const domain = createFriendDomain({
      store: new FriendStore(ctx.orm, ctx.ids),
      users: new UserClient(ctx.invoke),
      groups: new GroupClient(ctx.invoke),
      ids: ctx.ids,
      logger: ctx.logger,
      outbox,
      presence: new PresenceRegistry(ctx.sharedState, {
        entryTtlSeconds: ctx.config.gateway.presenceTtlSeconds,
      }),
      limits: ctx.config.friend,
    });
    outbox.start(OUTBOX_SWEEP_MS);
    const removal = new AccountRemoval(sqlExecutor(ctx.orm), domain.friendships);
    return {
      routes: friendRoutes(domain, ctx.config.rateLimitFactor),
      subscriptions: [
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: UserTopics.profileUpdated,
          logger: ctx.logger,
          // Friends' lists show nickname, avatar and signature: their rows move to a new sync version.
          async handle(updated, event) {
            if (!updated.profile || !updated.changed.some((field) => LISTED_FIELDS.has(field))) return;
            // Clients read the profile as the friend list shows it: no avatar or signature is null.
            const { nickname, avatar, signature } = updated.profile;
            await domain.friendships.profileChanged(
              updated.userId,
              { nickname, avatar: avatar ?? null, signature: signature ?? null },
              `user.profile:${event.id}`,
            );
          },
        }),
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: AuthTopics.accountStatusChanged,
          logger: ctx.logger,
          // A deleted account leaves every friend list; idempotent.
          async handle(data) {
            if (data.status === AccountStatusCodes.DELETED) await removal.removeAll(data.userId);
          },
        }),
      ],
      internal: friendInternal(domain.relations),
      stop: () => outbox.stop(),
    };
  },
};
