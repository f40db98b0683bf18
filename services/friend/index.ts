import { z } from 'zod';
import {
  FriendBulkMethods,
  type FriendIds,
  FriendMethods,
  type PeerRelation,
  type Relation,
  UserTopics,
} from '../platform/contracts/index.ts';
import { sqlExecutor } from '../platform/db/index.ts';
import { eventSubscription } from '../platform/events/index.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { Outbox } from '../platform/outbox.ts';
import { PresenceRegistry } from '../platform/presence/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { parseInternal } from '../platform/validation.ts';
import { UserClient } from './clients/users.ts';
import { createFriendDomain } from './domain/index.ts';
import { friendEntities } from './entities.ts';
import { friendInternal } from './internal.ts';
import { Migration20261122000300_friend } from './migrations/Migration20261122000300_friend.ts';
import { friendRoutes } from './routes.ts';
import { FriendStore } from './store/index.ts';

const id = z.string().regex(SNOWFLAKE_PATTERN);
const RelationInput = z.object({ userId: id, peerId: id });
const RelationsInput = z.object({
  userId: id,
  peerIds: z.array(id).max(FriendBulkMethods.relations.maxIds),
});
const FriendIdsInput = z.object({ userId: id });
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
      ids: ctx.ids,
      logger: ctx.logger,
      outbox,
      presence: new PresenceRegistry(ctx.sharedState, {
        entryTtlSeconds: ctx.config.gateway.presenceTtlSeconds,
      }),
      limits: ctx.config.friend,
    });
    outbox.start(OUTBOX_SWEEP_MS);
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
      ],
      internal: friendInternal(domain.relations),
      // Transition: the gateway and the group service still call these as JSON.
      legacyInternal: {
        [FriendMethods.relation]: async (body): Promise<Relation> => {
          const input = parseInternal(RelationInput, body);
          return domain.relations.relation(input.userId, input.peerId);
        },
        [FriendMethods.relations]: async (body): Promise<PeerRelation[]> => {
          const input = parseInternal(RelationsInput, body);
          return domain.relations.relations(input.userId, input.peerIds);
        },
        [FriendMethods.friendIds]: async (body): Promise<FriendIds> => ({
          friendIds: await domain.relations.friendIds(parseInternal(FriendIdsInput, body).userId),
        }),
      },
      stop: () => outbox.stop(),
    };
  },
};
