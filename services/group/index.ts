import { AccountStatusCodes, AuthTopics, avatarUrlOf } from '../platform/contracts/index.ts';
import { sqlExecutor } from '../platform/db/index.ts';
import { eventSubscription } from '../platform/events/index.ts';
import { SensitiveWords } from '../platform/moderation/index.ts';
import { Outbox } from '../platform/outbox.ts';
import type { ServiceModule } from '../platform/service.ts';
import { PeopleClient } from './clients/directory.ts';
import { MessageReads } from './clients/messages.ts';
import { AccountDepartures } from './domain/account-departure.ts';
import { createGroupDomain } from './domain/index.ts';
import { groupEntities } from './entities.ts';
import { groupExportInternal } from './export-internal.ts';
import { groupInternal } from './internal.ts';
import { Migration20261122000600_group } from './migrations/Migration20261122000600_group.ts';
import { Migration20261201000610_group_invitations } from './migrations/Migration20261201000610_group_invitations.ts';
import { groupReadRoutes } from './read-routes.ts';
import { groupRoutes } from './routes.ts';
import { GroupStore } from './store/index.ts';

/** How often unpublished notifications are retried. */
const OUTBOX_SWEEP_MS = 15_000;

export const groupService: ServiceModule = {
  name: 'group',
  // A reserved word in SQL: every statement quotes it ("group"."groups").
  schema: 'group',
  entities: groupEntities,
  migrations: [
    { name: 'Migration20261122000600_group', class: Migration20261122000600_group },
    { name: 'Migration20261201000610_group_invitations', class: Migration20261201000610_group_invitations },
  ],
  async create(ctx) {
    const outbox = new Outbox({
      sql: sqlExecutor(ctx.orm),
      schema: 'group',
      pubsub: ctx.pubsub,
      pubsubName: ctx.pubsubName,
      ids: ctx.ids,
      logger: ctx.logger,
    });
    const domain = createGroupDomain({
      store: new GroupStore(ctx.orm, ctx.ids),
      outbox,
      people: new PeopleClient(ctx.invoke),
      ids: ctx.ids,
      state: ctx.state.store(ctx.config.dapr.stateStoreName),
      limits: ctx.config.group,
      publicUrl: ctx.publicUrl,
      words: new SensitiveWords(ctx.sharedState, {
        refreshMs: ctx.config.moderation.sensitiveWordsRefreshMs,
        logger: ctx.logger,
      }),
      allowStrangers: ctx.config.message.allowStrangers,
      avatarUrl: (userId, fileId, groupId) => avatarUrlOf(ctx.invoke, { userId, fileId, groupId }),
    });
    outbox.start(OUTBOX_SWEEP_MS);
    const departures = new AccountDepartures({ sql: sqlExecutor(ctx.orm), ...domain });
    return {
      routes: [
        ...groupRoutes(domain, ctx.config.rateLimitFactor),
        ...groupReadRoutes(new MessageReads(ctx.invoke)),
      ],
      subscriptions: [
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: AuthTopics.accountStatusChanged,
          logger: ctx.logger,
          // A deleted account leaves its groups (owned ones handed on or dismissed); idempotent.
          async handle(data) {
            if (data.status === AccountStatusCodes.DELETED) await departures.leaveAll(data.userId);
          },
        }),
      ],
      internal: [...groupInternal(domain), groupExportInternal(sqlExecutor(ctx.orm))],
      stop: () => outbox.stop(),
    };
  },
};
