import { z } from 'zod';
import type { RequestState } from '../platform/http/context.ts';
import { defineRoute } from '../platform/http/routes.ts';
import { type Principal, rateLimit } from '../platform/security/index.ts';
import type { GroupDomain, Origin } from './domain/index.ts';
import { changeDto, groupDto, invitationDto, joinRequestDto, memberDto, outcomeDto } from './dtos.ts';
import {
  AnsweredInvitationDto,
  AnswerInvitationBody,
  CreateGroupBody,
  CreateGroupDto,
  GroupDto,
  GroupListDto,
  GroupListQuery,
  HandleJoinBody,
  IdParams,
  InvitationListDto,
  InviteBody,
  InviteDto,
  JoinBody,
  JoinDto,
  JoinRequestDto,
  JoinRequestParams,
  MemberListDto,
  MemberParams,
  MemberQuery,
  MuteBody,
  MuteDto,
  MuteParams,
  NicknameBody,
  PageQuery,
  QrcodeDto,
  QrcodeParams,
  QrcodeQuery,
  QrJoinBody,
  SettingsBody,
  UpdateGroupBody,
  UserIdBody,
} from './schemas.ts';

const tags = ['group'];

const originOf = (principal: Principal): Origin => ({
  userId: principal.userId,
  deviceId: principal.deviceId,
});

export function groupRoutes(domain: GroupDomain, rateLimitFactor: number) {
  const { groups, members, ownership, mutes, joining, invitations, qrCodes } = domain;
  // Per user, per instance: creating groups, inviting and asking to join are cheap to abuse.
  const limit = (name: string, perMinute: number) =>
    rateLimit(name, {
      limit: Math.max(1, Math.round(perMinute * rateLimitFactor)),
      windowMs: 60_000,
      key: (ctx) => `user:${(ctx.state as RequestState).principal?.userId ?? ctx.ip}`,
    });
  const createLimit = limit('group-create', 10);
  const inviteLimit = limit('group-invite', 30);
  const joinLimit = limit('group-join', 20);

  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/groups',
      summary:
        'My groups: a page of them, or (with lastUpdateTime) what changed since then, groups I left, was removed from or that were dismissed included',
      tags,
      access: 'user',
      scope: 'groups:read',
      query: GroupListQuery,
      response: GroupListDto,
      handler: async ({ principal, query }) => {
        const page = await groups.listMine(principal.userId, {
          since: query.lastUpdateTime,
          page: query.page,
          pageSize: query.pageSize,
        });
        return { ...page, groups: page.groups.map(changeDto) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/groups',
      summary:
        'Create a group with me as its owner and at least 2 other members; those who may not be added directly get an invitation (invitedIds)',
      tags,
      access: 'user',
      body: CreateGroupBody,
      response: CreateGroupDto,
      middleware: [createLimit],
      handler: async ({ principal, body }) => {
        const created = await groups.create(originOf(principal), {
          name: body.name,
          avatar: body.avatar ?? null,
          memberIds: body.memberIds,
        });
        return { ...groupDto(created.view), ...outcomeDto(created) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/groups/join-by-qrcode',
      summary: "Join through a group's QR code (a join request when the group verifies joins)",
      tags,
      access: 'user',
      body: QrJoinBody,
      response: JoinDto,
      middleware: [joinLimit],
      handler: async ({ principal, body }) =>
        qrCodes.join(originOf(principal), body.code, body.message || null),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/groups/qrcode/:code',
      summary: 'The group a QR code leads to (its public part), before joining',
      tags,
      access: 'user',
      params: QrcodeParams,
      response: GroupDto,
      handler: async ({ principal, params }) =>
        groupDto(await qrCodes.resolve(principal.userId, params.code)),
    }),
    // Before /api/v1/groups/:id, which would take "invitations" for a malformed id.
    defineRoute({
      method: 'get',
      path: '/api/v1/groups/invitations',
      summary:
        'My pending group invitations, newest first (from users who may not add me directly: not my friends, or my groupInvitePolicy says so)',
      tags,
      access: 'user',
      scope: 'groups:join',
      query: PageQuery,
      response: InvitationListDto,
      handler: async ({ principal, query }) => {
        const page = await invitations.listMine(principal.userId, query.page, query.pageSize);
        return { total: page.total, invitations: page.invitations.map(invitationDto) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/groups/:id/invitation',
      summary:
        'Accept (join, as if added) or decline my invitation to this group; 40118 when there is none or it lapsed',
      tags,
      access: 'user',
      scope: 'groups:join',
      params: IdParams,
      body: AnswerInvitationBody,
      response: AnsweredInvitationDto,
      middleware: [joinLimit],
      handler: async ({ principal, params, body }) =>
        body.action === 'accept'
          ? invitations.accept(originOf(principal), params.id)
          : invitations.decline(originOf(principal), params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/groups/:id',
      summary: 'A group: everything for members; name, avatar and member count for others',
      tags,
      access: 'user',
      scope: 'groups:read',
      params: IdParams,
      response: GroupDto,
      handler: async ({ principal, params }) => groupDto(await groups.info(principal.userId, params.id)),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/groups/:id',
      summary:
        'Change name, avatar or announcement (owner and admins); an announcement is posted as a group notice',
      tags,
      access: 'user',
      params: IdParams,
      body: UpdateGroupBody,
      response: GroupDto,
      handler: async ({ principal, params, body }) =>
        groupDto(
          await groups.update(originOf(principal), params.id, {
            name: body.name,
            avatar: body.avatar,
            avatarFileId: body.avatarFileId,
            announcement: body.announcement === undefined ? undefined : body.announcement || null,
          }),
        ),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/groups/:id',
      summary: 'Dismiss the group (owner only)',
      tags,
      access: 'user',
      params: IdParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await groups.dismiss(originOf(principal), params.id);
        return null;
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/groups/:id/settings',
      summary:
        'Mute everyone, member invites, join verification, history for new members, friends among members',
      tags,
      access: 'user',
      params: IdParams,
      body: SettingsBody,
      response: GroupDto,
      handler: async ({ principal, params, body }) =>
        groupDto(await groups.updateSettings(originOf(principal), params.id, body)),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/groups/:id/members',
      summary: 'Members, owner and admins first; keyword searches nicknames (members only)',
      tags,
      access: 'user',
      scope: 'groups:read',
      params: IdParams,
      query: MemberQuery,
      response: MemberListDto,
      handler: async ({ principal, params, query }) => {
        const page = await members.list(principal.userId, params.id, query);
        return { total: page.total, members: page.members.map(memberDto) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/groups/:id/members',
      summary:
        'Add users (plain members only while member invites are on); those who may not be added directly get an invitation (invitedIds)',
      tags,
      access: 'user',
      params: IdParams,
      body: InviteBody,
      response: InviteDto,
      middleware: [inviteLimit],
      handler: async ({ principal, params, body }) => {
        const result = await members.invite(originOf(principal), params.id, body.userIds);
        return { ...outcomeDto(result), memberCount: result.memberCount };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/groups/:id/members/:userId',
      summary: 'Remove a member (the owner removes anyone else, admins plain members)',
      tags,
      access: 'user',
      params: MemberParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await members.remove(originOf(principal), params.id, params.userId);
        return null;
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/groups/:id/members/:userId/mute',
      summary: 'Mute a member for some seconds (0 lifts it); it lifts itself when the time is up',
      tags,
      access: 'user',
      params: MuteParams,
      body: MuteBody,
      response: MuteDto,
      handler: async ({ principal, params, body }) => {
        const { userId, mutedUntil } = await mutes.muteMember(
          originOf(principal),
          params.id,
          params.userId,
          body.seconds,
        );
        return { userId, isMuted: mutedUntil !== null, mutedUntil: mutedUntil?.toISOString() ?? null };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/groups/:id/nickname',
      summary: 'My nickname in this group',
      tags,
      access: 'user',
      params: IdParams,
      body: NicknameBody,
      response: GroupDto,
      handler: async ({ principal, params, body }) =>
        groupDto(await members.setNickname(originOf(principal), params.id, body.nickname || null)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/groups/:id/join',
      summary: 'Ask to join: a join request when the group verifies joins, membership at once otherwise',
      tags,
      access: 'user',
      params: IdParams,
      body: JoinBody,
      response: JoinDto,
      middleware: [joinLimit],
      handler: async ({ principal, params, body }) =>
        joining.join(originOf(principal), params.id, body.message || null),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/groups/:id/join',
      summary: 'Pending join requests, newest first (owner and admins)',
      tags,
      access: 'user',
      params: IdParams,
      query: PageQuery,
      response: z.object({ total: z.number().int(), requests: z.array(JoinRequestDto) }),
      handler: async ({ principal, params, query }) => {
        const { total, requests } = await joining.pending(
          principal.userId,
          params.id,
          query.page,
          query.pageSize,
        );
        return { total, requests: requests.map(joinRequestDto) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/groups/:id/join/:reqId',
      summary: 'Accept or reject a join request (owner and admins)',
      tags,
      access: 'user',
      params: JoinRequestParams,
      body: HandleJoinBody,
      response: z.object({ requestId: z.string(), status: z.enum(['accepted', 'rejected']) }),
      handler: async ({ principal, params, body }) =>
        joining.handle(originOf(principal), params.id, params.reqId, body.action),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/groups/:id/exit',
      summary: 'Leave the group (the owner transfers it first)',
      tags,
      access: 'user',
      params: IdParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await members.exit(originOf(principal), params.id);
        return null;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/groups/:id/transfer',
      summary: 'Hand the group to another member (owner only); I stay as a plain member',
      tags,
      access: 'user',
      params: IdParams,
      body: UserIdBody,
      response: z.null(),
      handler: async ({ principal, params, body }) => {
        await ownership.transfer(originOf(principal), params.id, body.userId);
        return null;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/groups/:id/admins',
      summary: 'Make a member an admin (owner only)',
      tags,
      access: 'user',
      params: IdParams,
      body: UserIdBody,
      response: z.null(),
      handler: async ({ principal, params, body }) => {
        await ownership.setAdmin(originOf(principal), params.id, body.userId, true);
        return null;
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/groups/:id/admins/:userId',
      summary: 'Make an admin a plain member again (owner only)',
      tags,
      access: 'user',
      params: MemberParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await ownership.setAdmin(originOf(principal), params.id, params.userId, false);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/groups/:id/qrcode',
      summary: "The group's QR code (members; plain members only while member invites are on)",
      tags,
      access: 'user',
      params: IdParams,
      query: QrcodeQuery,
      response: QrcodeDto,
      handler: async ({ principal, params, query }) =>
        qrCodes.qrcode(principal.userId, params.id, query.refresh),
    }),
  ];
}
