import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { AccountStatusCodes } from '../platform/contracts/index.ts';

/**
 * Account status (seed §6.2.1), plus DELETED: an administrator deleted the account; its row stays
 * (its account name, phone and e-mail stay taken: nobody can register them again to impersonate
 * the former owner) but it signs in nowhere (10117 to the right password).
 */
export const AccountStatus = AccountStatusCodes;
export type AccountStatusValue = (typeof AccountStatus)[keyof typeof AccountStatus];

export const UserCredentials = defineEntity({
  name: 'UserCredentials',
  tableName: 'users',
  properties: {
    userId: p.bigint('string').primary(),
    account: p.string().length(32).unique(),
    phoneNumber: p.string().length(20).nullable().unique(),
    email: p.string().length(100).nullable().unique(),
    passwordHash: p.string().length(255),
    status: p.smallint().$type<AccountStatusValue>(),
    passwordChangedAt: p.datetime(),
    /** When the deletion the user asked for takes effect; null when none is pending (signing in clears it). */
    deletionDueAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type UserCredentials = InferEntity<typeof UserCredentials>;

export const UserDevice = defineEntity({
  name: 'UserDevice',
  tableName: 'user_devices',
  properties: {
    id: p.bigint('string').primary(),
    userId: p.bigint('string'),
    deviceId: p.string().length(100),
    deviceType: p.string().length(20),
    deviceName: p.string().length(100).nullable(),
    clientVersion: p.string().length(50).nullable(),
    lastLoginTime: p.datetime(),
    lastLoginIp: p.string().length(50).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type UserDevice = InferEntity<typeof UserDevice>;

/** A signed-in device: one refresh-token family. Access tokens carry its id as `sid`. */
export const UserSession = defineEntity({
  name: 'UserSession',
  tableName: 'user_sessions',
  properties: {
    id: p.bigint('string').primary(),
    userId: p.bigint('string'),
    deviceId: p.string().length(100),
    deviceType: p.string().length(20),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastRefreshedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    revokeReason: p.string().length(32).nullable(),
  },
});
export type UserSession = InferEntity<typeof UserSession>;

export const RefreshTokenStatus = { ACTIVE: 'active', ROTATED: 'rotated', REVOKED: 'revoked' } as const;

/** Refresh tokens are stored as SHA-256 hashes; the token itself is only ever in the client's hands. */
export const RefreshToken = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  properties: {
    tokenHash: p.string().length(64).primary(),
    sessionId: p.bigint('string'),
    status: p.string().length(16).$type<(typeof RefreshTokenStatus)[keyof typeof RefreshTokenStatus]>(),
    expiresAt: p.datetime(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type RefreshToken = InferEntity<typeof RefreshToken>;

export const SigningKey = defineEntity({
  name: 'SigningKey',
  tableName: 'signing_keys',
  properties: {
    kid: p.string().length(64).primary(),
    privateJwk: p.json<Record<string, unknown>>(),
    publicJwk: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type SigningKey = InferEntity<typeof SigningKey>;

/** A user's TOTP second factor: set up (enabledAt null) until a code of it is confirmed. */
export const UserSecondFactor = defineEntity({
  name: 'UserSecondFactor',
  tableName: 'user_second_factors',
  properties: {
    userId: p.bigint('string').primary(),
    /** Sealed (`enc1:<key id>:...`, AES-256-GCM); see FieldCipher. */
    secret: p.text(),
    enabledAt: p.datetime().nullable(),
    lastStep: p.bigint('number').default(0),
    recoveryCodes: p.json<string[]>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type UserSecondFactor = InferEntity<typeof UserSecondFactor>;

/** An account's link to an OpenID Provider: the provider's subject signs in to this account. */
export const UserIdentity = defineEntity({
  name: 'UserIdentity',
  tableName: 'user_identities',
  properties: {
    id: p.bigint('string').primary(),
    userId: p.bigint('string'),
    provider: p.string().length(32),
    subject: p.string().length(255),
    email: p.string().length(254).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type UserIdentity = InferEntity<typeof UserIdentity>;

export const authEntities = [
  UserCredentials,
  UserDevice,
  UserSession,
  RefreshToken,
  SigningKey,
  UserSecondFactor,
  UserIdentity,
];
