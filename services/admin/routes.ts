import { z } from 'zod';
import { defineRoute } from '../platform/http/routes.ts';
import type { StateStore } from '../platform/ports/index.ts';
import type { AdminPrincipal } from '../platform/security/index.ts';
import { sharedRateLimit } from '../platform/security/index.ts';
import type { AdminAccounts } from './domain/admin-accounts.ts';
import { type Actor, type AuditLog, adminActor } from './domain/audit-log.ts';
import type { Broadcasts } from './domain/broadcasts.ts';
import type { ContentModeration } from './domain/content-moderation.ts';
import type { FileModeration } from './domain/file-moderation.ts';
import type { MeetingModeration } from './domain/meeting-moderation.ts';
import type { PushChecks } from './domain/push-checks.ts';
import type { Statistics } from './domain/statistics.ts';
import type { SystemConfig } from './domain/system-config.ts';
import type { UserModeration } from './domain/user-moderation.ts';
import { fileAdminRoutes } from './file-routes.ts';
import { meetingAdminRoutes } from './meeting-routes.ts';
import {
  AdminDto,
  AuditDto,
  AuditQuery,
  BanBody,
  BannedDto,
  BroadcastBody,
  BroadcastDto,
  BroadcastListDto,
  BroadcastParams,
  ConfigBody,
  ConfigItemDto,
  ConfigListDto,
  ConfigParams,
  CreateAdminBody,
  GroupDetailDto,
  GroupListDto,
  GroupListQuery,
  GroupMemberParams,
  GroupParams,
  KickedDto,
  LoginBody,
  LoginDto,
  MessageHistoryDto,
  MessageHistoryQuery,
  MessageParams,
  PushTestDto,
  ReasonBody,
  RecalledDto,
  RoleDto,
  SensitiveWordsBody,
  SensitiveWordsDto,
  StatsDto,
  StatsQuery,
  UnbannedDto,
  UserDetailDto,
  UserListDto,
  UserListQuery,
  UserParams,
} from './schemas.ts';

export interface AdminDomain {
  accounts: AdminAccounts;
  audit: AuditLog;
  users: UserModeration;
  content: ContentModeration;
  broadcasts: Broadcasts;
  statistics: Statistics;
  config: SystemConfig;
  files: FileModeration;
  push: PushChecks;
  meetings: MeetingModeration;
}

const tags = ['admin'];
const actor = (admin: AdminPrincipal, request: { ip: string }): Actor => adminActor(admin, request.ip);
const offsetOf = (query: { page: number; pageSize: number }) => ({
  offset: (query.page - 1) * query.pageSize,
  limit: query.pageSize,
});

function sessionRoutes(d: AdminDomain, limits: StateStore, rateLimitFactor: number) {
  // Per client address, counted exactly across replicas: guessing admin passwords must stay slow
  // even across usernames (the login throttle counts per name too).
  const loginLimit = sharedRateLimit(limits, 'admin-login', {
    limit: Math.max(1, Math.round(10 * rateLimitFactor)),
    windowMs: 60_000,
  });
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/auth/login',
      summary: 'Admin login: an admin token (not valid on chat routes) for imctl and consoles',
      tags,
      access: 'public',
      middleware: [loginLimit],
      body: LoginBody,
      response: LoginDto,
      handler: ({ body, request }) => d.accounts.login(body, request),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/auth/logout',
      summary: 'Ends this admin session',
      tags,
      access: 'admin',
      response: z.null(),
      handler: async ({ admin, request }) => {
        await d.accounts.logout(admin, request.ip);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/auth/me',
      summary: 'The signed-in administrator, with role and permissions',
      tags,
      access: 'admin',
      response: AdminDto,
      handler: ({ admin }) => d.accounts.get(admin.adminId),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/admins',
      summary: 'Administrators',
      tags,
      access: 'admin',
      permission: 'admins:read',
      response: z.object({ items: z.array(AdminDto), roles: z.array(RoleDto) }),
      handler: () => d.accounts.directory(),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/admins',
      summary: 'Creates an administrator with a role',
      tags,
      access: 'admin',
      permission: 'admins:write',
      body: CreateAdminBody,
      response: AdminDto,
      handler: ({ admin, body, request }) => d.accounts.create(actor(admin, request), body),
    }),
  ];
}

function userRoutes(d: AdminDomain) {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/users',
      summary: 'Chat users, newest first, by keyword (account, phone, email) and state',
      tags,
      access: 'admin',
      permission: 'users:read',
      query: UserListQuery,
      response: UserListDto,
      handler: ({ query }) =>
        d.users.list({ keyword: query.keyword, state: query.state, ...offsetOf(query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/users/:userId',
      summary: 'One chat user: account, ban, signed-in devices, online now',
      tags,
      access: 'admin',
      permission: 'users:read',
      params: UserParams,
      response: UserDetailDto,
      handler: ({ params }) => d.users.detail(params.userId),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/users/:userId/ban',
      summary:
        'Bans a user at once (devices get FORCE_LOGOUT account_banned; login answers 10111); a duration lifts it by itself',
      tags,
      access: 'admin',
      permission: 'users:write',
      params: UserParams,
      body: BanBody,
      response: BannedDto,
      handler: async ({ admin, params, body, request }) => {
        const ban = await d.users.ban(
          actor(admin, request),
          params.userId,
          body.reason,
          body.durationSeconds,
        );
        return { userId: params.userId, state: 'banned' as const, reason: ban.reason, until: ban.until };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/users/:userId/unban',
      summary: 'Lifts a ban',
      tags,
      access: 'admin',
      permission: 'users:write',
      params: UserParams,
      response: UnbannedDto,
      handler: async ({ admin, params, request }) => {
        await d.users.unban(actor(admin, request), params.userId);
        return { userId: params.userId, state: 'active' as const };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/users/:userId/kick',
      summary: 'Signs every device of a user out (FORCE_LOGOUT admin_kick); they may log in again',
      tags,
      access: 'admin',
      permission: 'users:write',
      params: UserParams,
      response: KickedDto,
      handler: ({ admin, params, request }) => d.users.kick(actor(admin, request), params.userId),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/users/:userId/push-test',
      summary:
        "Sends a test push to each of the user's registered devices, past every policy; answers what each came to",
      tags,
      access: 'admin',
      permission: 'users:write',
      params: UserParams,
      response: PushTestDto,
      handler: ({ admin, params, request }) => d.push.test(actor(admin, request), params.userId),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/admin/users/:userId',
      summary: 'Deletes an account: its devices are signed out and it can no longer log in',
      tags,
      access: 'admin',
      permission: 'users:write',
      params: UserParams,
      response: z.null(),
      handler: async ({ admin, params, request }) => {
        await d.users.delete(actor(admin, request), params.userId);
        return null;
      },
    }),
  ];
}

function contentRoutes(d: AdminDomain) {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/groups',
      summary: 'Groups, newest first, by name keyword',
      tags,
      access: 'admin',
      permission: 'groups:read',
      query: GroupListQuery,
      response: GroupListDto,
      handler: ({ query }) => d.content.listGroups({ keyword: query.keyword, ...offsetOf(query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/groups/:groupId',
      summary: 'One group with its members',
      tags,
      access: 'admin',
      permission: 'groups:read',
      params: GroupParams,
      response: GroupDetailDto,
      handler: ({ params }) => d.content.groupDetail(params.groupId),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/groups/:groupId/dismiss',
      summary: 'Dismisses a group; members are told',
      tags,
      access: 'admin',
      permission: 'groups:write',
      params: GroupParams,
      body: ReasonBody,
      response: z.null(),
      handler: async ({ admin, params, body, request }) => {
        await d.content.dismissGroup(
          actor(admin, request),
          params.groupId,
          body.reason ?? 'dismissed by the platform',
        );
        return null;
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/admin/groups/:groupId/members/:userId',
      summary: 'Removes a member from a group',
      tags,
      access: 'admin',
      permission: 'groups:write',
      params: GroupMemberParams,
      response: z.null(),
      handler: async ({ admin, params, request }) => {
        await d.content.removeMember(actor(admin, request), params.groupId, params.userId);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/messages',
      summary: "A conversation's messages for moderation, newest first (the read is audited)",
      tags,
      access: 'admin',
      permission: 'messages:read',
      query: MessageHistoryQuery,
      response: MessageHistoryDto,
      handler: ({ admin, query, request }) => d.content.history(actor(admin, request), query),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/messages/:messageId/recall',
      summary: 'Recalls any message, whatever its age; participants get MESSAGE_RECALLED',
      tags,
      access: 'admin',
      permission: 'messages:write',
      params: MessageParams,
      body: ReasonBody,
      response: RecalledDto,
      handler: ({ admin, params, body, request }) =>
        d.content.recall(actor(admin, request), params.messageId, body.reason ?? 'recalled by the platform'),
    }),
  ];
}

function platformRoutes(d: AdminDomain) {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/admin/broadcasts',
      summary: 'Announcement or maintenance notice to every user: pushed to online devices, replayed on sync',
      tags,
      access: 'admin',
      permission: 'broadcasts:write',
      body: BroadcastBody,
      response: BroadcastDto,
      handler: ({ admin, body, request }) => d.broadcasts.create(actor(admin, request), body.kind, body.text),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/broadcasts',
      summary: 'Recent broadcasts',
      tags,
      access: 'admin',
      permission: 'broadcasts:write',
      response: BroadcastListDto,
      handler: async () => ({ items: await d.broadcasts.list(50) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/broadcasts/:broadcastId',
      summary: 'A broadcast and how far it got',
      tags,
      access: 'admin',
      permission: 'broadcasts:write',
      params: BroadcastParams,
      response: BroadcastDto,
      handler: ({ params }) => d.broadcasts.get(params.broadcastId),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/stats',
      summary:
        'Users, connections per gateway, messages per minute and by type, groups, pushes, files, calls and meeting minutes',
      tags,
      access: 'admin',
      permission: 'stats:read',
      query: StatsQuery,
      response: StatsDto,
      handler: ({ query }) => d.statistics.collect(query.period),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/audit',
      summary: 'Audit log, newest first: admin actions and logins, who, what, when, from where',
      tags,
      access: 'admin',
      permission: 'audit:read',
      query: AuditQuery,
      response: AuditDto,
      handler: async ({ query }) => ({ items: await d.audit.query(query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/config',
      summary: 'System configuration',
      tags,
      access: 'admin',
      permission: 'config:read',
      response: ConfigListDto,
      handler: async () => ({ items: await d.config.list() }),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/admin/config/:key',
      summary: 'Sets a configuration key (JSON value)',
      tags,
      access: 'admin',
      permission: 'config:write',
      params: ConfigParams,
      body: ConfigBody,
      response: ConfigItemDto,
      handler: ({ admin, params, body, request }) =>
        d.config.set(actor(admin, request), params.key, body.value),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/admin/config/:key',
      summary: 'Removes a configuration key',
      tags,
      access: 'admin',
      permission: 'config:write',
      params: ConfigParams,
      response: z.null(),
      handler: async ({ admin, params, request }) => {
        await d.config.unset(actor(admin, request), params.key);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/admin/sensitive-words',
      summary: 'The sensitive-word filter applied to messages, nicknames, group names and announcements',
      tags,
      access: 'admin',
      permission: 'config:read',
      response: SensitiveWordsDto,
      handler: () => d.config.sensitiveWords(),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/admin/sensitive-words',
      summary:
        'Replaces the sensitive-word filter (mask: matches become *; reject: refused with the field code)',
      tags,
      access: 'admin',
      permission: 'config:write',
      body: SensitiveWordsBody,
      response: SensitiveWordsDto,
      handler: ({ admin, body, request }) => d.config.setSensitiveWords(actor(admin, request), body),
    }),
  ];
}

export function adminRoutes(domain: AdminDomain, limits: StateStore, rateLimitFactor: number) {
  return [
    ...sessionRoutes(domain, limits, rateLimitFactor),
    ...userRoutes(domain),
    ...contentRoutes(domain),
    ...platformRoutes(domain),
    ...fileAdminRoutes(domain.files),
    ...meetingAdminRoutes(domain.meetings),
  ];
}
