import { z } from 'zod';
import { UserService as UserContract } from '../platform/contracts/gen/anychat/user/v1/user_pb.ts';
import { BulkCalls, groupInvitePolicyCode, MAX_PHONE_HASHES } from '../platform/contracts/index.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import type { PrivacySettings } from './domain/privacy.ts';
import type { PushTokens } from './domain/push-tokens.ts';
import type { UserService } from './domain/user-service.ts';

const id = z.string().regex(SNOWFLAKE_PATTERN);
/** Unset in the contract; null in the directory. */
const nullable = (schema: z.ZodString) => schema.optional().transform((value) => value ?? null);

/** Input rules of UserService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const UserInputs = {
  createProfile: z.object({
    userId: id,
    account: z.string().min(1).max(32),
    phoneNumber: nullable(z.string().max(20)),
    email: nullable(z.string().max(100)),
    nickname: nullable(z.string().max(32)),
    botOwnerId: id.optional(),
    avatar: z.string().max(255).optional(),
  }),
  getProfiles: z.object({ userIds: z.array(id).max(BulkCalls.profiles.maxIds) }),
  getSettings: z.object({ userId: id }),
  getGroupInvitePolicies: z.object({
    userIds: z.array(id).max(BulkCalls.groupInvitePolicies.maxIds),
  }),
  removePushToken: z.object({
    userId: id,
    deviceId: z.string().min(1).max(100),
    pushToken: z.string().min(1).max(2048),
  }),
  getPrivacySettings: z.object({ userIds: z.array(id).max(BulkCalls.privacySettings.maxIds) }),
  findByPhoneHashes: z.object({
    phoneHashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(MAX_PHONE_HASHES),
  }),
} satisfies InputSchemas<typeof UserContract>;

/** What the user service serves other services (proto/anychat/user/v1/user.proto). */
export function userInternal(
  users: UserService,
  pushTokens: PushTokens,
  privacy: PrivacySettings,
): InternalService[] {
  return [
    internalService(UserContract, UserInputs, {
      createProfile: async (input) => {
        await users.createProfile(input);
        return {};
      },
      getProfiles: async ({ userIds }) => ({ profiles: await users.briefProfiles(userIds) }),
      getSettings: async ({ userId }) => {
        const settings = await users.settings(userId);
        return {
          friendVerify: settings.friendVerify,
          notificationEnabled: settings.notificationEnabled,
          language: settings.language,
        };
      },
      getGroupInvitePolicies: async ({ userIds }) => ({
        entries: (await users.groupInvitePolicies(userIds)).map((entry) => ({
          userId: entry.userId,
          groupInvitePolicy: groupInvitePolicyCode(entry.groupInvitePolicy),
        })),
      }),
      removePushToken: async ({ userId, deviceId, pushToken }) => ({
        removed: await pushTokens.remove(userId, deviceId, pushToken),
      }),
      getPrivacySettings: async ({ userIds }) => ({ entries: await privacy.many(userIds) }),
      findByPhoneHashes: async ({ phoneHashes }) => ({
        matches: await privacy.findByPhoneHashes(phoneHashes),
      }),
    }),
  ];
}
