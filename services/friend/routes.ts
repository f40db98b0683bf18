import { z } from 'zod';
import type { ProfileSummary } from '../platform/contracts/index.ts';
import type { RequestState } from '../platform/http/context.ts';
import { defineRoute } from '../platform/http/routes.ts';
import { type Principal, rateLimit } from '../platform/security/index.ts';
import type {
  CategoryView,
  FriendChange,
  FriendDomain,
  FriendView,
  Origin,
  RequestView,
} from './domain/index.ts';
import {
  BlacklistBody,
  BlacklistEntryDto,
  CategoryDto,
  CategoryListDto,
  CategoryNameBody,
  ContactMatchDto,
  ContactsBody,
  type DeletedFriendDto,
  FriendDto,
  FriendListDto,
  FriendListQuery,
  FriendRequestDto,
  FriendSettingsBody,
  HandleRequestBody,
  HandleRequestDto,
  IdParams,
  MoveCategoryBody,
  PageQuery,
  RecommendationDto,
  RecommendationsQuery,
  RemarkBody,
  RequestListQuery,
  SendRequestBody,
  SendRequestDto,
} from './schemas.ts';

const tags = ['friend'];

const originOf = (principal: Principal): Origin => ({
  userId: principal.userId,
  deviceId: principal.deviceId,
});

const brief = (userId: string, profile: ProfileSummary | undefined) => ({
  userId,
  nickname: profile?.nickname ?? '',
  avatar: profile?.avatar ?? null,
  signature: profile?.signature ?? null,
});

const requestDto = (view: RequestView, viewerId: string): z.infer<typeof FriendRequestDto> => {
  const { request } = view;
  const peerId = request.fromUserId === viewerId ? request.toUserId : request.fromUserId;
  return {
    requestId: request.id,
    fromUserId: request.fromUserId,
    toUserId: request.toUserId,
    user: view.peer ? brief(peerId, view.peer) : null,
    message: request.message ?? null,
    source: request.source,
    status: view.state,
    createdAt: request.createdAt.toISOString(),
    expiresAt: view.expiresAt.toISOString(),
    handledAt: request.handledAt?.toISOString() ?? null,
  };
};

const friendDto = (view: FriendView): z.infer<typeof FriendDto> => ({
  ...brief(view.friendId, view.profile),
  remark: view.remark,
  categoryId: view.categoryId,
  isMuted: view.isMuted,
  isStarred: view.isStarred,
  online: view.presence.online,
  platforms: view.presence.platforms,
  lastActiveTime:
    view.presence.lastActiveAt === null ? null : new Date(view.presence.lastActiveAt).toISOString(),
  createdAt: view.since.toISOString(),
  updateTime: view.version,
  deleted: false,
});

const changeDto = (change: FriendChange): z.infer<typeof FriendDto> | z.infer<typeof DeletedFriendDto> =>
  change.deleted ? { userId: change.friendId, deleted: true, updateTime: change.version } : friendDto(change);

const categoryDto = (view: CategoryView): z.infer<typeof CategoryDto> => ({
  categoryId: view.category.id,
  name: view.category.name,
  friendCount: view.friendCount,
  createdAt: view.category.createdAt.toISOString(),
});

export function friendRoutes(domain: FriendDomain, rateLimitFactor: number) {
  const { requests, friendships, categories, blacklist, discovery } = domain;
  // Per user, per instance: friend requests are cheap to send and a nuisance to receive.
  const requestLimit = rateLimit('friend-request', {
    limit: Math.max(1, Math.round(20 * rateLimitFactor)),
    windowMs: 60_000,
    key: (ctx) => `user:${(ctx.state as RequestState).principal?.userId ?? ctx.ip}`,
  });

  // Per user: matching a phone book is how numbers are tied to people, so it is kept rare.
  const contactsLimit = rateLimit('friend-contacts', {
    limit: Math.max(1, Math.round(5 * rateLimitFactor)),
    windowMs: 10 * 60_000,
    key: (ctx) => `user:${(ctx.state as RequestState).principal?.userId ?? ctx.ip}`,
  });

  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/friends/contacts',
      summary:
        'Find friends from my phone book by hashed numbers: the registered users whose privacy settings let me find them by phone (at most 5 uploads per 10 minutes)',
      tags,
      access: 'user',
      body: ContactsBody,
      response: z.object({ matches: z.array(ContactMatchDto) }),
      middleware: [contactsLimit],
      handler: async ({ principal, body }) => ({
        matches: (await discovery.matchContacts(principal.userId, body.phoneHashes)).map((match) => ({
          ...brief(match.userId, match.profile),
          phoneHash: match.phoneHash,
          isFriend: match.isFriend,
        })),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/friends/recommendations',
      summary:
        'People I may know: friends of my friends and people in my groups, most mutual friends and common groups first, with the reasons',
      tags,
      access: 'user',
      query: RecommendationsQuery,
      response: z.object({ users: z.array(RecommendationDto) }),
      handler: async ({ principal, query }) => ({
        users: (await discovery.recommendations(principal.userId, query.limit)).map((entry) => ({
          ...brief(entry.userId, entry.profile),
          mutualFriends: entry.mutualFriends,
          commonGroups: entry.commonGroups,
          reasons: entry.reasons,
        })),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/friends',
      summary:
        'My friends: a page of them, or (with lastUpdateTime) what changed since then, deletions included',
      tags,
      access: 'user',
      query: FriendListQuery,
      response: FriendListDto,
      handler: async ({ principal, query }) => {
        const page = await friendships.list(principal.userId, {
          since: query.lastUpdateTime,
          categoryId: query.categoryId === '0' ? null : query.categoryId,
          page: query.page,
          pageSize: query.pageSize,
        });
        return { ...page, friends: page.friends.map(changeDto) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/friends/requests',
      summary: 'Friend requests I received (incoming) or sent (outgoing), newest first',
      tags,
      access: 'user',
      query: RequestListQuery,
      response: z.object({ total: z.number().int(), requests: z.array(FriendRequestDto) }),
      handler: async ({ principal, query }) => {
        const page = await requests.list(principal.userId, query);
        return {
          total: page.total,
          requests: page.requests.map((view) => requestDto(view, principal.userId)),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/friends/requests',
      summary: 'Send a friend request (accepted at once when the other user does not verify requests)',
      tags,
      access: 'user',
      body: SendRequestBody,
      response: SendRequestDto,
      middleware: [requestLimit],
      handler: async ({ principal, body }) =>
        requests.send(originOf(principal), {
          targetId: body.userId,
          message: body.message || null,
          source: body.source,
        }),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/friends/requests/:id',
      summary: 'Accept or reject a friend request sent to me',
      tags,
      access: 'user',
      params: IdParams,
      body: HandleRequestBody,
      response: HandleRequestDto,
      handler: async ({ principal, params, body }) =>
        requests.handle(originOf(principal), params.id, body.action),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/friends/categories',
      summary: 'My friend categories with their friend counts',
      tags,
      access: 'user',
      response: CategoryListDto,
      handler: async ({ principal }) => {
        const listed = await categories.list(principal.userId);
        return {
          categories: listed.categories.map(categoryDto),
          defaultFriendCount: listed.defaultFriendCount,
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/friends/categories',
      summary: 'Create a friend category',
      tags,
      access: 'user',
      body: CategoryNameBody,
      response: CategoryDto,
      handler: async ({ principal, body }) =>
        categoryDto(await categories.create(originOf(principal), body.name)),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/friends/categories/:id',
      summary: 'Rename a friend category',
      tags,
      access: 'user',
      params: IdParams,
      body: CategoryNameBody,
      response: CategoryDto,
      handler: async ({ principal, params, body }) =>
        categoryDto(await categories.rename(originOf(principal), params.id, body.name)),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/friends/categories/:id',
      summary: 'Delete a friend category (its friends go back to the default category)',
      tags,
      access: 'user',
      params: IdParams,
      response: z.object({ movedFriendIds: z.array(z.string()) }),
      handler: async ({ principal, params }) => categories.delete(originOf(principal), params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/friends/blacklist',
      summary: 'Users I blacklisted, newest first',
      tags,
      access: 'user',
      query: PageQuery,
      response: z.object({ total: z.number().int(), users: z.array(BlacklistEntryDto) }),
      handler: async ({ principal, query }) => {
        const { total, entries } = await blacklist.list(principal.userId, query.page, query.pageSize);
        return {
          total,
          users: entries.map(({ entry, profile }) => ({
            userId: entry.blockedUserId,
            nickname: profile?.nickname ?? '',
            avatar: profile?.avatar ?? null,
            blockedAt: entry.createdAt.toISOString(),
          })),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/friends/blacklist',
      summary: 'Blacklist a user: no messages or friend requests from them (a friendship stays)',
      tags,
      access: 'user',
      body: BlacklistBody,
      response: z.object({ userId: z.string(), blockedAt: z.string() }),
      handler: async ({ principal, body }) => {
        const entry = await blacklist.add(originOf(principal), body.userId);
        return { userId: entry.blockedUserId, blockedAt: entry.createdAt.toISOString() };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/friends/blacklist/:id',
      summary: 'Remove a user from my blacklist',
      tags,
      access: 'user',
      params: IdParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await blacklist.remove(originOf(principal), params.id);
        return null;
      },
    }),
    // Declared after the fixed paths above so that /friends/requests etc. are not taken for ids.
    defineRoute({
      method: 'get',
      path: '/api/v1/friends/:id',
      summary: 'One friend, as in my friend list',
      tags,
      access: 'user',
      params: IdParams,
      response: FriendDto,
      handler: async ({ principal, params }) => friendDto(await friendships.get(principal.userId, params.id)),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/friends/:id',
      summary: 'Delete a friend (on both sides)',
      tags,
      access: 'user',
      params: IdParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await friendships.delete(originOf(principal), params.id);
        return null;
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/friends/:id/remark',
      summary: "Set or clear a friend's remark (only I see it)",
      tags,
      access: 'user',
      params: IdParams,
      body: RemarkBody,
      response: FriendDto,
      handler: async ({ principal, params, body }) =>
        friendDto(await friendships.setRemark(originOf(principal), params.id, body.remark || null)),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/friends/:id/category',
      summary: 'Move a friend to one of my categories (null: the default category)',
      tags,
      access: 'user',
      params: IdParams,
      body: MoveCategoryBody,
      response: FriendDto,
      handler: async ({ principal, params, body }) =>
        friendDto(await friendships.moveToCategory(originOf(principal), params.id, body.categoryId)),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/friends/:id/settings',
      summary: 'Mute or star a friend',
      tags,
      access: 'user',
      params: IdParams,
      body: FriendSettingsBody,
      response: FriendDto,
      handler: async ({ principal, params, body }) =>
        friendDto(await friendships.updateSettings(originOf(principal), params.id, body)),
    }),
  ];
}
