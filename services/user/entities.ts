import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import type { GroupInvitePolicy, Privacy } from '../platform/contracts/index.ts';

export const UserProfile = defineEntity({
  name: 'UserProfile',
  tableName: 'user_profiles',
  properties: {
    userId: p.bigint('string').primary(),
    // Directory copy of the account's identifiers (owned by auth), so that search stays in this schema.
    account: p.string().length(32),
    phoneNumber: p.string().length(20).nullable(),
    email: p.string().length(100).nullable(),
    /** contactHashOf(phoneNumber): what contact discovery matches, so that no raw number is asked for. */
    phoneHash: p.string().length(64).nullable(),
    nickname: p.string().length(32),
    avatar: p.string().length(255).nullable(),
    signature: p.string().length(200).nullable(),
    gender: p.smallint(),
    birthday: p.string().length(10).nullable(),
    region: p.string().length(100).nullable(),
    /** Set when the account was deleted: the row is then an anonymous placeholder, out of the directory. */
    deletedAt: p.datetime().nullable(),
    /** Set for a bot account (auth's bots): the user who owns it. */
    botOwnerId: p.bigint('string').nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type UserProfile = InferEntity<typeof UserProfile>;

export const UserSettings = defineEntity({
  name: 'UserSettings',
  tableName: 'user_settings',
  properties: {
    userId: p.bigint('string').primary(),
    friendVerify: p.boolean(),
    notificationEnabled: p.boolean(),
    language: p.string().length(10),
    /** Who may add this user to a group directly; others' additions become invitations. */
    groupInvitePolicy: p.string().length(10).$type<GroupInvitePolicy>(),
    /** Do-not-disturb hours (`HH:MM`, in timeZone): no offline push between them. */
    dndStart: p.string().length(5).nullable(),
    dndEnd: p.string().length(5).nullable(),
    timeZone: p.string().length(64),
    /** Pushes show sender and text; off: "You have a new message". */
    pushPreview: p.boolean(),
    /** @mentions are pushed even from muted conversations. */
    pushMentionsWhenMuted: p.boolean(),
    /** Privacy settings the user changed (JSON, as seed table user_settings has them); the rest are defaults. */
    privacy: p.json<Partial<Privacy>>(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type UserSettings = InferEntity<typeof UserSettings>;

export const PushToken = defineEntity({
  name: 'PushToken',
  tableName: 'user_push_tokens',
  properties: {
    id: p.bigint('string').primary(),
    userId: p.bigint('string'),
    deviceId: p.string().length(100),
    pushToken: p.string().length(2048),
    platform: p.string().length(20),
    /** The provider that delivers to the device (`webpush`, `fcm`, `apns` or a configured one). */
    provider: p.string().length(32),
    /** The device's language, for the text of its pushes. */
    language: p.string().length(16),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type PushToken = InferEntity<typeof PushToken>;

export const userEntities = [UserProfile, UserSettings, PushToken];
