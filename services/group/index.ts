import { z } from 'zod';
import {
  GroupAdminMethods,
  type GroupBrief,
  GroupBulkMethods,
  GroupMethods,
  type GroupSendContext,
} from '../platform/contracts/index.ts';
import { sqlExecutor } from '../platform/db/index.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { SensitiveWords } from '../platform/moderation/index.ts';
import { Outbox } from '../platform/outbox.ts';
import type { ServiceModule } from '../platform/service.ts';
import { parseInternal } from '../platform/validation.ts';
import { createGroupDomain } from './domain/index.ts';
import { groupEntities } from './entities.ts';
import { Migration20261122000600_group } from './migrations/Migration20261122000600_group.ts';
import { Migration20261201000610_group_invitations } from './migrations/Migration20261201000610_group_invitations.ts';
import { groupRoutes } from './routes.ts';
import { GroupStore } from './store/index.ts';

const id = z.string().regex(SNOWFLAKE_PATTERN);
const SendContextInput = z.object({ groupId: id, userId: id });
const BriefsInput = z.object({ groupIds: z.array(id).max(GroupBulkMethods.briefs.maxIds) });
const AdminListInput = z.object({
  keyword: z.string().max(100).optional(),
  offset: z.number().int().min(0).max(1_000_000).default(0),
  limit: z.number().int().min(1).max(200).default(20),
});
const AdminGroupInput = z.object({ groupId: id });
const AdminDismissInput = z.object({ groupId: id, reason: z.string().trim().max(200).optional() });
const AdminRemoveInput = z.object({ groupId: id, userId: id });
const AdminStatsInput = z.object({
  since: z.iso.datetime({ offset: true }).transform((value) => new Date(value)),
});
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
      invoke: ctx.invoke,
      ids: ctx.ids,
      state: ctx.state.store(ctx.config.dapr.stateStoreName),
      limits: ctx.config.group,
      publicUrl: ctx.publicUrl,
      words: new SensitiveWords(ctx.sharedState, {
        refreshMs: ctx.config.moderation.sensitiveWordsRefreshMs,
        logger: ctx.logger,
      }),
      allowStrangers: ctx.config.message.allowStrangers,
    });
    const { directory } = domain;
    outbox.start(OUTBOX_SWEEP_MS);
    return {
      routes: groupRoutes(domain, ctx.config.rateLimitFactor),
      subscriptions: [],
      internal: {
        [GroupMethods.sendContext]: async (body): Promise<GroupSendContext> => {
          const input = parseInternal(SendContextInput, body);
          return directory.sendContext(input.groupId, input.userId);
        },
        [GroupMethods.briefs]: async (body): Promise<GroupBrief[]> =>
          directory.briefs(parseInternal(BriefsInput, body).groupIds),
        [GroupAdminMethods.list]: async (body) => directory.adminList(parseInternal(AdminListInput, body)),
        [GroupAdminMethods.detail]: async (body) =>
          directory.adminDetail(parseInternal(AdminGroupInput, body).groupId),
        [GroupAdminMethods.dismiss]: async (body) => {
          const input = parseInternal(AdminDismissInput, body);
          await domain.groups.dismissByAdministrator(input.groupId, input.reason || undefined);
          return null;
        },
        [GroupAdminMethods.removeMember]: async (body) => {
          const input = parseInternal(AdminRemoveInput, body);
          await domain.members.removeByAdministrator(input.groupId, input.userId);
          return null;
        },
        [GroupAdminMethods.stats]: async (body) =>
          directory.adminStats(parseInternal(AdminStatsInput, body).since),
      },
      stop: () => outbox.stop(),
    };
  },
};
