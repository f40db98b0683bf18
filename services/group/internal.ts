import { z } from 'zod';
import { GroupAdminService, GroupService } from '../platform/contracts/gen/anychat/group/v1/group_pb.ts';
import { BulkCalls, groupRoleCode, unsetNulls } from '../platform/contracts/index.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import type { GroupDomain } from './domain/index.ts';

const id = z.string().regex(SNOWFLAKE_PATTERN);
const GroupInput = z.object({ groupId: id });

/** Input rules of GroupService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const GroupInputs = {
  getSendContext: z.object({ groupId: id, userId: id }),
  listConversationMembers: GroupInput,
  getGroupBriefs: z.object({ groupIds: z.array(id).max(BulkCalls.groupBriefs.maxIds) }),
  listCommonGroupPeers: z.object({ userId: id, limit: z.number().int().min(1).max(200) }),
} satisfies InputSchemas<typeof GroupService>;

/** Input rules of GroupAdminService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const GroupAdminInputs = {
  listGroups: z.object({
    keyword: z.string().max(100).optional(),
    offset: z.number().int().min(0).max(1_000_000).default(0),
    limit: z.number().int().min(1).max(200).default(20),
  }),
  getGroup: GroupInput,
  dismissGroup: z.object({ groupId: id, reason: z.string().trim().max(200).optional() }),
  removeMember: z.object({ groupId: id, userId: id }),
  getGroupStats: z.object({
    since: z.iso.datetime({ offset: true }).transform((value) => new Date(value)),
  }),
} satisfies InputSchemas<typeof GroupAdminService>;

/** What the group service serves other services (proto/anychat/group/v1/group.proto). */
export function groupInternal(domain: GroupDomain): InternalService[] {
  const { directory } = domain;
  return [
    internalService(GroupService, GroupInputs, {
      getSendContext: async ({ groupId, userId }) => {
        const { member, ...context } = await directory.sendContext(groupId, userId);
        return {
          ...context,
          ...(member ? { member: { ...unsetNulls(member), role: groupRoleCode(member.role) } } : {}),
        };
      },
      listConversationMembers: async ({ groupId }) => directory.conversationMembers(groupId),
      getGroupBriefs: async ({ groupIds }) => ({
        briefs: (await directory.briefs(groupIds)).map(unsetNulls),
      }),
      listCommonGroupPeers: async ({ userId, limit }) => ({
        peers: await directory.commonGroupPeers(userId, limit),
      }),
    }),
    internalService(GroupAdminService, GroupAdminInputs, {
      listGroups: async (query) => directory.adminList(query),
      getGroup: async ({ groupId }) => {
        const { announcement, members, ...group } = await directory.adminDetail(groupId);
        return {
          group,
          ...(announcement === null ? {} : { announcement }),
          members: members.map(unsetNulls),
        };
      },
      dismissGroup: async ({ groupId, reason }) => {
        await domain.groups.dismissByAdministrator(groupId, reason || undefined);
        return {};
      },
      removeMember: async ({ groupId, userId }) => {
        await domain.members.removeByAdministrator(groupId, userId);
        return {};
      },
      getGroupStats: async ({ since }) => directory.adminStats(since),
    }),
  ];
}
