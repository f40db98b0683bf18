import { z } from 'zod';
import type { RequestState } from '../platform/http/context.ts';
import { defineRoute } from '../platform/http/routes.ts';
import { type Principal, rateLimit } from '../platform/security/index.ts';
import type {
  AddOutcome,
  GroupChange,
  GroupService,
  GroupView,
  JoinRequestView,
  Membership,
  MemberView,
  Origin,
} from './domain/group-service.ts';
import type { InvitationView } from './domain/invitations.ts';
import { GroupStatus } from './entities.ts';
import {
  AnsweredInvitationDto,
  AnswerInvitationBody,
  CreateGroupBody,
  CreateGroupDto,
  type GoneGroupDto,
  GroupDto,
  GroupListDto,
  GroupListQuery,
  HandleJoinBody,
  IdParams,
  type InvitationDto,
  InvitationListDto,
  InviteBody,
  InviteDto,
  JoinBody,
  JoinDto,
  JoinRequestDto,
  JoinRequestParams,
  type ListedGroupDto,
  type MemberDto,
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

const isMuted = (mutedUntil: Date | null) => mutedUntil !== null && mutedUntil.getTime() > Date.now();

const membershipDto = (me: Membership) => ({
  role: me.role,
  groupNickname: me.groupNickname,
  isMuted: isMuted(me.mutedUntil),
  mutedUntil: isMuted(me.mutedUntil) ? me.mutedUntil!.toISOString() : null,
  joinedAt: me.joinedAt.toISOString(),
});

const groupDto = ({ group, maxMembers, me }: GroupView): z.infer<typeof GroupDto> => {
  const member = me !== null;
  return {
    groupId: group.id,
    name: group.name,
    avatar: group.avatar ?? null,
    memberCount: group.memberCount,
    maxMembers,
    joinVerify: group.joinVerify,
    dismissed: group.status === GroupStatus.DISMISSED,
    createdAt: group.createdAt.toISOString(),
    isMember: member,
    ownerId: member ? group.ownerId : null,
    announcement: member ? (group.announcement ?? null) : null,
    announcementUpdatedAt: member ? (group.announcementAt?.toISOString() ?? null) : null,
    isMuted: member ? group.allMuted : null,
    settings: member
      ? {
          allMuted: group.allMuted,
          memberInvite: group.memberInvite,
          joinVerify: group.joinVerify,
          historyVisible: group.historyVisible,
          memberAddFriend: group.memberAddFriend,
        }
      : null,
    me: me ? membershipDto(me) : null,
  };
};

const changeDto = (change: GroupChange): z.infer<typeof ListedGroupDto> | z.infer<typeof GoneGroupDto> =>
  change.gone
    ? { groupId: change.groupId, status: change.reason, updateTime: change.version }
    : { ...groupDto(change), status: 'active', updateTime: change.version };

const memberDto = (view: MemberView): z.infer<typeof MemberDto> => ({
  userId: view.userId,
  nickname: view.profile?.nickname ?? '',
  avatar: view.profile?.avatar ?? null,
  groupNickname: view.groupNickname,
  role: view.role,
  joinedAt: view.joinedAt.toISOString(),
  isMuted: isMuted(view.mutedUntil),
  mutedUntil: isMuted(view.mutedUntil) ? view.mutedUntil!.toISOString() : null,
});

const joinRequestDto = ({ request, applicant }: JoinRequestView): z.infer<typeof JoinRequestDto> => ({
  requestId: request.id,
  groupId: request.groupId,
  user: {
    userId: request.userId,
    nickname: applicant?.nickname ?? '',
    avatar: applicant?.avatar ?? null,
  },
  message: request.message ?? null,
  source: request.source,
  status: request.status,
  createdAt: request.createdAt.toISOString(),
  updatedAt: request.updatedAt.toISOString(),
});

const outcomeDto = ({ successIds, invitedIds, failures }: AddOutcome) => ({
  successIds,
  invitedIds,
  failedIds: failures.map((failure) => failure.userId),
  failures,
});

const invitationDto = (view: InvitationView): z.infer<typeof InvitationDto> => ({
  groupId: view.groupId,
  group: view.group,
  inviter: {
    userId: view.inviterId,
    nickname: view.inviter?.nickname ?? '',
    avatar: view.inviter?.avatar ?? null,
  },
  createdAt: view.createdAt.toISOString(),
  expiresAt: view.expiresAt.toISOString(),
});

export function groupRoutes(groups: GroupService, rateLimitFactor: number) {
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
        groups.joinByQrcode(originOf(principal), body.code, body.message || null),
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
        groupDto(await groups.resolveQrcode(principal.userId, params.code)),
    }),
    // Before /api/v1/groups/:id, which would take "invitations" for a malformed id.
    defineRoute({
      method: 'get',
      path: '/api/v1/groups/invitations',
      summary:
        'My pending group invitations, newest first (from users who may not add me directly: not my friends, or my groupInvitePolicy says so)',
      tags,
      access: 'user',
      query: PageQuery,
      response: InvitationListDto,
      handler: async ({ principal, query }) => {
        const { total, invitations } = await groups.invitations.listMine(
          principal.userId,
          query.page,
          query.pageSize,
        );
        return { total, invitations: invitations.map(invitationDto) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/groups/:id/invitation',
      summary:
        'Accept (join, as if added) or decline my invitation to this group; 40118 when there is none or it lapsed',
      tags,
      access: 'user',
      params: IdParams,
      body: AnswerInvitationBody,
      response: AnsweredInvitationDto,
      middleware: [joinLimit],
      handler: async ({ principal, params, body }) =>
        body.action === 'accept'
          ? groups.invitations.accept(originOf(principal), params.id)
          : groups.invitations.decline(originOf(principal), params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/groups/:id',
      summary: 'A group: everything for members; name, avatar and member count for others',
      tags,
      access: 'user',
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
      params: IdParams,
      query: MemberQuery,
      response: MemberListDto,
      handler: async ({ principal, params, query }) => {
        const { total, members } = await groups.members(principal.userId, params.id, query);
        return { total, members: members.map(memberDto) };
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
        const result = await groups.invite(originOf(principal), params.id, body.userIds);
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
        await groups.removeMember(originOf(principal), params.id, params.userId);
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
        const { userId, mutedUntil } = await groups.muteMember(
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
        groupDto(await groups.setNickname(originOf(principal), params.id, body.nickname || null)),
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
        groups.join(originOf(principal), params.id, body.message || null),
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
        const { total, requests } = await groups.joinRequests(
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
        groups.handleJoin(originOf(principal), params.id, params.reqId, body.action),
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
        await groups.exit(originOf(principal), params.id);
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
        await groups.transfer(originOf(principal), params.id, body.userId);
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
        await groups.setAdmin(originOf(principal), params.id, body.userId, true);
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
        await groups.setAdmin(originOf(principal), params.id, params.userId, false);
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
        groups.qrcode(principal.userId, params.id, query.refresh),
    }),
  ];
}
