import { z } from 'zod';
import { defineRoute } from '../platform/http/routes.ts';
import type { PrivacySettings } from './domain/privacy.ts';
import type { PushTokens } from './domain/push-tokens.ts';
import type { UserSearch } from './domain/search.ts';
import type { userDetail } from './domain/user-detail.ts';
import type { UserService } from './domain/user-service.ts';
import type { UserProfile, UserSettings } from './entities.ts';
import {
  DeviceParams,
  MyProfileDto,
  PrivacyDto,
  PublicProfileDto,
  PushRegistrationDto,
  PushTokenBody,
  QrcodeDto,
  QrcodeParams,
  SearchQuery,
  SettingsDto,
  UpdatePrivacyBody,
  UpdateProfileBody,
  UpdateSettingsBody,
  UserDetailDto,
  UserIdParams,
} from './schemas.ts';

const tags = ['user'];

const publicProfile = (p: UserProfile): z.infer<typeof PublicProfileDto> => ({
  userId: p.userId,
  nickname: p.nickname,
  avatar: p.avatar ?? null,
  signature: p.signature ?? null,
  gender: p.gender,
  region: p.region ?? null,
  kind: p.botOwnerId ? 'bot' : 'user',
  botOwnerId: p.botOwnerId ?? null,
});

const myProfile = (p: UserProfile, qrcodeUrl: string | null): z.infer<typeof MyProfileDto> => ({
  ...publicProfile(p),
  account: p.account,
  birthday: p.birthday ?? null,
  phone: p.phoneNumber ?? null,
  email: p.email ?? null,
  qrcodeUrl,
  createdAt: p.createdAt.toISOString(),
});

const settingsDto = (s: UserSettings) => ({
  friendVerify: s.friendVerify,
  notificationEnabled: s.notificationEnabled,
  language: s.language,
  groupInvitePolicy: s.groupInvitePolicy,
  dndStart: s.dndStart ?? null,
  dndEnd: s.dndEnd ?? null,
  timeZone: s.timeZone,
  pushPreview: s.pushPreview,
  pushMentionsWhenMuted: s.pushMentionsWhenMuted,
});

/** How the caller stands towards another user (asked of the friend service). */
export function userRoutes(
  users: UserService,
  pushTokens: PushTokens,
  detailOf: ReturnType<typeof userDetail>,
  directory: UserSearch,
  privacy: PrivacySettings,
) {
  const me = async (userId: string) => {
    const [profile, qrcode] = await Promise.all([users.profile(userId), users.currentQrcode(userId)]);
    return myProfile(profile, qrcode?.url ?? null);
  };
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/users/me',
      summary: 'My profile',
      tags,
      access: 'user',
      response: MyProfileDto,
      handler: ({ principal }) => me(principal.userId),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/users/me',
      summary: 'Change my profile (only the fields given)',
      tags,
      access: 'user',
      body: UpdateProfileBody,
      response: MyProfileDto,
      handler: async ({ principal, body }) => {
        await users.updateProfile(principal.userId, body);
        return me(principal.userId);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/users/search',
      summary:
        'Search users by account, phone number, e-mail (exact, where their privacy settings let me find them by it; first) or nickname (contains)',
      tags,
      access: 'user',
      query: SearchQuery,
      response: z.object({ total: z.number().int(), users: z.array(PublicProfileDto) }),
      handler: async ({ principal, query }) => {
        const { total, users: found } = await directory.search(
          principal.userId,
          query.keyword,
          query.page,
          query.pageSize,
        );
        return { total, users: found.map(publicProfile) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/users/settings',
      summary: 'My settings',
      tags,
      access: 'user',
      response: SettingsDto,
      handler: async ({ principal }) => settingsDto(await users.settings(principal.userId)),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/users/settings',
      summary: 'Change my settings (only the fields given)',
      tags,
      access: 'user',
      body: UpdateSettingsBody,
      response: SettingsDto,
      handler: async ({ principal, body }) => settingsDto(await users.updateSettings(principal.userId, body)),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/users/settings/privacy',
      summary: 'My privacy settings',
      tags,
      access: 'user',
      response: PrivacyDto,
      handler: ({ principal }) => privacy.get(principal.userId),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/users/settings/privacy',
      summary:
        'Change my privacy settings (only the fields given); my other devices get NOTIFICATION user.privacy_updated',
      tags,
      access: 'user',
      body: UpdatePrivacyBody,
      response: PrivacyDto,
      handler: ({ principal, body }) =>
        privacy.update({ userId: principal.userId, deviceId: principal.deviceId }, body),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/users/qrcode/refresh',
      summary: 'Issue a new personal QR code (the previous one stops working)',
      tags,
      access: 'user',
      response: QrcodeDto,
      handler: async ({ principal }) => {
        const qrcode = await users.refreshQrcode(principal.userId);
        return { code: qrcode.code, qrcodeUrl: qrcode.url, expiresAt: qrcode.expiresAt };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/users/qrcode/:code',
      summary: 'The user behind a scanned QR code',
      tags,
      access: 'user',
      params: QrcodeParams,
      response: PublicProfileDto,
      handler: async ({ params }) => publicProfile(await users.resolveQrcode(params.code)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/users/push-token',
      summary: "Register this device's push token",
      tags,
      access: 'user',
      body: PushTokenBody,
      response: z.null(),
      handler: async ({ principal, body }) => {
        const { language } = await users.settings(principal.userId);
        await pushTokens.save(principal.userId, principal.deviceId, body, language);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/users/push-tokens',
      summary: "My devices' push registrations (not the tokens themselves)",
      tags,
      access: 'user',
      response: z.object({ registrations: z.array(PushRegistrationDto) }),
      handler: async ({ principal }) => ({
        registrations: (await pushTokens.list(principal.userId)).map((r) => ({
          ...r,
          updatedAt: r.updatedAt.toISOString(),
        })),
      }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/users/push-tokens/:deviceId',
      summary: "Revoke a device's push registration: it gets no more offline pushes",
      tags,
      access: 'user',
      params: DeviceParams,
      response: z.object({ removed: z.boolean() }),
      handler: async ({ principal, params }) => ({
        removed: await pushTokens.remove(principal.userId, params.deviceId),
      }),
    }),
    // Declared after the fixed paths above so that /users/me and /users/search are not taken for ids.
    defineRoute({
      method: 'get',
      path: '/api/v1/users/:id',
      summary:
        "Another user's public profile, presence, and whether they are my friend or on my blacklist (a deleted account answers its placeholder)",
      tags,
      access: 'user',
      params: UserIdParams,
      response: UserDetailDto,
      handler: async ({ principal, params }) => {
        const detail = await detailOf(principal.userId, params.id);
        return {
          ...publicProfile(detail.profile),
          isFriend: detail.relation.isFriend,
          isBlocked: detail.relation.blocking,
          online: detail.online,
          platforms: detail.platforms,
          lastActiveTime: detail.lastActiveTime,
          accountDeleted: detail.accountDeleted,
        };
      },
    }),
  ];
}
