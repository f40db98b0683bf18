import { randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import {
  type CreateProfileRequest,
  DEFAULT_GROUP_INVITE_POLICY,
  type GroupInvitePolicy,
  type GroupInvitePolicyEntry,
  type ProfileSummaryInit,
  UserTopics,
} from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { SensitiveWords } from '../../platform/moderation/index.ts';
import { type Outbox, outboxEvent, transactionalWithOutbox } from '../../platform/outbox.ts';
import type { StateOperation, StateStore } from '../../platform/ports/index.ts';
import { UserProfile, UserSettings } from '../entities.ts';
import { phoneHashOf } from './privacy.ts';
import type { PushTokens } from './push-tokens.ts';

export interface ProfileChanges {
  nickname?: string | undefined;
  avatar?: string | null | undefined;
  signature?: string | null | undefined;
  gender?: 0 | 1 | 2 | undefined;
  birthday?: string | null | undefined;
  region?: string | null | undefined;
}

export interface SettingsChanges {
  friendVerify?: boolean | undefined;
  notificationEnabled?: boolean | undefined;
  language?: string | undefined;
  groupInvitePolicy?: GroupInvitePolicy | undefined;
  dndStart?: string | null | undefined;
  dndEnd?: string | null | undefined;
  timeZone?: string | undefined;
  pushPreview?: boolean | undefined;
  pushMentionsWhenMuted?: boolean | undefined;
}

interface QrRecord {
  userId: string;
  expiresAt: string;
  revoked?: boolean;
}

export interface UserServiceDeps {
  orm: MikroORM;
  store: StateStore;
  /** Carries every profile and settings change's event, in the transaction that makes the change. */
  outbox: Outbox;
  /** The push-token registry, whose registrations go with an erased account. */
  pushTokens: PushTokens;
  ids: SnowflakeGenerator;
  logger: Logger;
  qrcodeTtlSeconds: number;
  /** The URL of an avatar set from an upload, once the file service has checked the file (avatarUrlOf). */
  avatarUrl: (userId: string, fileId: string) => Promise<string>;
  publicUrl: () => string;
  blockedNicknameWords: string[];
  /** A new account's language setting (DEFAULT_LANGUAGE). */
  defaultLanguage: string;
  /** The administrator's forbidden words (shared state): a nickname holding one is refused, never masked. */
  words: SensitiveWords;
}

const DEFAULT_SETTINGS = {
  friendVerify: true,
  notificationEnabled: true,
  groupInvitePolicy: DEFAULT_GROUP_INVITE_POLICY,
  dndStart: null,
  dndEnd: null,
  timeZone: 'UTC',
  pushPreview: true,
  pushMentionsWhenMuted: true,
  privacy: {},
};
/** QR records outlive their validity by a week, so a scanned old code says "expired", not "invalid". */
const QR_GRACE_SECONDS = 7 * 86_400;
/** What friends' lists, conversations and old messages show for an account that was deleted. */
export const DELETED_NICKNAME = 'Deleted account';
/**
 * Directory copy of a deleted account's name: unique like the column, and never a real account
 * (those are letters, digits and `_`), so it neither frees nor takes anybody's name.
 */
export const deletedAccountName = (userId: string) => `deleted-${userId}`.slice(0, 32);
/** Fields of a profile that other users see or that find it; all of them are cleared on deletion. */
const ERASED_FIELDS = ['nickname', 'avatar', 'signature', 'gender', 'birthday', 'region'] as const;

/** What conversation and member lists show of a user (the contract's ProfileSummary). */
export const briefOf = (profile: UserProfile): ProfileSummaryInit => ({
  userId: profile.userId,
  nickname: profile.nickname,
  ...(profile.avatar ? { avatar: profile.avatar } : {}),
  ...(profile.signature ? { signature: profile.signature } : {}),
  accountDeleted: profile.deletedAt != null,
  ...(profile.botOwnerId ? { botOwnerId: profile.botOwnerId } : {}),
});

/** A profile as `user.profile.updated` carries it: nickname, and avatar and signature when set. */
const eventProfile = (profile: UserProfile) => ({
  nickname: profile.nickname,
  ...(profile.avatar ? { avatar: profile.avatar } : {}),
  ...(profile.signature ? { signature: profile.signature } : {}),
});

export class UserService {
  private readonly deps: UserServiceDeps;

  constructor(deps: UserServiceDeps) {
    this.deps = deps;
  }

  /**
   * Idempotent: called by auth at registration (a nickname with a forbidden word is refused, 20102,
   * and the registration with it) and again by the user.registered event, which repairs a missed
   * profile and so must not fail on a word forbidden since: that nickname becomes the account name.
   */
  async createProfile(
    input: CreateProfileRequest,
    onForbiddenNickname: 'refuse' | 'use-account' = 'refuse',
  ): Promise<void> {
    let nickname = input.nickname ?? input.account;
    if (input.nickname) {
      try {
        await this.#assertCleanNickname(input.nickname);
      } catch (error) {
        if (onForbiddenNickname === 'refuse') throw error;
        nickname = input.account;
      }
    }
    const em = this.deps.orm.em.fork();
    await em.upsert(
      UserProfile,
      {
        userId: input.userId,
        account: input.account,
        phoneNumber: input.phoneNumber,
        phoneHash: phoneHashOf(input.phoneNumber),
        email: input.email,
        nickname,
        gender: 0,
        avatar: input.avatar ?? null,
        botOwnerId: input.botOwnerId ?? null,
      },
      { onConflictFields: ['userId'], onConflictAction: 'ignore' },
    );
    await em.upsert(
      UserSettings,
      { userId: input.userId, ...DEFAULT_SETTINGS, language: this.deps.defaultLanguage },
      { onConflictFields: ['userId'], onConflictAction: 'ignore' },
    );
  }

  async profile(userId: string): Promise<UserProfile> {
    const profile = await this.deps.orm.em.fork().findOne(UserProfile, { userId });
    if (!profile) throw new AppError(ErrorCode.PROFILE_NOT_FOUND, { detail: `user ${userId}` });
    return profile;
  }

  async currentQrcode(userId: string): Promise<{ code: string; url: string; expiresAt: string } | null> {
    const current = await this.deps.store.get<{ code: string }>(`qrcode-of:${userId}`);
    if (!current) return null;
    const record = await this.deps.store.get<QrRecord>(`qrcode:${current.value.code}`);
    if (!record || record.value.revoked || Date.parse(record.value.expiresAt) <= Date.now()) return null;
    return {
      code: current.value.code,
      url: this.#qrUrl(current.value.code),
      expiresAt: record.value.expiresAt,
    };
  }

  async updateProfile(
    userId: string,
    { avatarFileId, ...given }: ProfileChanges & { avatarFileId?: string | undefined },
  ): Promise<UserProfile> {
    const changes = avatarFileId
      ? { ...given, avatar: await this.deps.avatarUrl(userId, avatarFileId) }
      : given;
    if (changes.nickname !== undefined) await this.#assertCleanNickname(changes.nickname);
    // The change and its event commit together (outbox): a projection of profiles never misses one.
    return transactionalWithOutbox(this.deps.orm, this.deps.outbox, async (tx, events) => {
      const profile = await tx.findOne(UserProfile, { userId, deletedAt: null });
      if (!profile) throw new AppError(ErrorCode.PROFILE_NOT_FOUND);
      const changed = Object.entries(changes)
        .filter(([key, value]) => value !== undefined && profile[key as keyof ProfileChanges] !== value)
        .map(([key]) => key);
      if (changed.length === 0) return profile;
      tx.assign(
        profile,
        Object.fromEntries(changed.map((key) => [key, changes[key as keyof ProfileChanges]])),
      );
      events.push(
        outboxEvent(UserTopics.profileUpdated, { userId, changed, profile: eventProfile(profile) }),
      );
      return profile;
    });
  }

  async settings(userId: string): Promise<UserSettings> {
    const settings = await this.deps.orm.em.fork().findOne(UserSettings, { userId });
    if (!settings) throw new AppError(ErrorCode.PROFILE_NOT_FOUND);
    return settings;
  }

  async updateSettings(userId: string, changes: SettingsChanges): Promise<UserSettings> {
    // The push service keeps its own copy of these settings: the change and its event commit together.
    return transactionalWithOutbox(this.deps.orm, this.deps.outbox, async (tx, events) => {
      const settings = await tx.findOne(UserSettings, { userId });
      if (!settings) throw new AppError(ErrorCode.PROFILE_NOT_FOUND);
      tx.assign(
        settings,
        Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)),
      );
      events.push(
        outboxEvent(UserTopics.settingsUpdated, {
          userId,
          settings: {
            friendVerify: settings.friendVerify,
            notificationEnabled: settings.notificationEnabled,
            language: settings.language,
            groupInvitePolicy: settings.groupInvitePolicy,
            ...(settings.dndStart ? { dndStart: settings.dndStart } : {}),
            ...(settings.dndEnd ? { dndEnd: settings.dndEnd } : {}),
            timeZone: settings.timeZone,
            pushPreview: settings.pushPreview,
            pushMentionsWhenMuted: settings.pushMentionsWhenMuted,
          },
        }),
      );
      return settings;
    });
  }

  /** Who may add each of these users to groups; users without settings are left out. */
  async groupInvitePolicies(userIds: string[]): Promise<GroupInvitePolicyEntry[]> {
    if (userIds.length === 0) return [];
    const rows = await this.deps.orm.em
      .fork()
      .find(
        UserSettings,
        { userId: { $in: [...new Set(userIds)] } },
        { fields: ['userId', 'groupInvitePolicy'] },
      );
    return rows.map((row) => ({ userId: row.userId, groupInvitePolicy: row.groupInvitePolicy }));
  }

  /** A new personal QR code; the previous one stops resolving. */
  async refreshQrcode(userId: string): Promise<{ code: string; url: string; expiresAt: string }> {
    if ((await this.profile(userId)).deletedAt) throw new AppError(ErrorCode.PROFILE_NOT_FOUND);
    const code = randomBytes(18).toString('base64url');
    const expiresAt = new Date(Date.now() + this.deps.qrcodeTtlSeconds * 1000).toISOString();
    const previous = await this.deps.store.get<{ code: string }>(`qrcode-of:${userId}`);
    const ttlInSeconds = this.deps.qrcodeTtlSeconds + QR_GRACE_SECONDS;
    await this.deps.store.transact([
      ...(previous ? [this.#revocation(userId, previous.value.code)] : []),
      {
        operation: 'upsert',
        key: `qrcode:${code}`,
        value: { userId, expiresAt } satisfies QrRecord,
        ttlInSeconds,
      },
      { operation: 'upsert', key: `qrcode-of:${userId}`, value: { code }, ttlInSeconds },
    ]);
    return { code, url: this.#qrUrl(code), expiresAt };
  }

  async resolveQrcode(code: string): Promise<UserProfile> {
    const record = await this.deps.store.get<QrRecord>(`qrcode:${code}`);
    if (!record || record.value.revoked) throw new AppError(ErrorCode.QRCODE_INVALID);
    if (Date.parse(record.value.expiresAt) <= Date.now()) throw new AppError(ErrorCode.QRCODE_EXPIRED);
    const profile = await this.profile(record.value.userId);
    // Its codes are revoked at deletion; this also covers a code issued while that was under way.
    if (profile.deletedAt) throw new AppError(ErrorCode.QRCODE_INVALID);
    return profile;
  }

  /**
   * The account was deleted (auth's status change): in one transaction the profile becomes an
   * anonymous placeholder (neutral nickname; picture, signature, birthday, region cleared; the
   * directory copies of account, phone and e-mail gone), its push tokens are removed and a profile
   * change is stored for friends' lists and message senders; then its QR code is revoked. The row
   * stays, so that whoever has the user in a list or a conversation sees "Deleted account".
   * Idempotent: a profile already erased changes no more (the QR revocation is repeated harmlessly,
   * in case it is what failed the first time). Returns whether this call erased it.
   */
  async eraseDeletedAccount(userId: string): Promise<boolean> {
    const erased = await transactionalWithOutbox(this.deps.orm, this.deps.outbox, async (tx, events) => {
      const profile = await tx.findOne(UserProfile, { userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!profile) {
        // Deleted before its registration reached this service: a placeholder keeps the late
        // registration event (whose profile creation ignores an existing row) from publishing it.
        await tx.upsert(
          UserProfile,
          {
            userId,
            account: deletedAccountName(userId),
            nickname: DELETED_NICKNAME,
            gender: 0,
            deletedAt: new Date(),
          },
          { onConflictFields: ['userId'], onConflictAction: 'ignore' },
        );
        return true;
      }
      if (profile.deletedAt) return false;
      const placeholder = {
        nickname: DELETED_NICKNAME,
        avatar: null,
        signature: null,
        gender: 0,
        birthday: null,
        region: null,
      };
      const changed = ERASED_FIELDS.filter((key) => (profile[key] ?? null) !== placeholder[key]);
      tx.assign(profile, {
        ...placeholder,
        account: deletedAccountName(userId),
        phoneNumber: null,
        phoneHash: null,
        email: null,
        deletedAt: new Date(),
      });
      await this.deps.pushTokens.removeAll(tx, userId, events);
      events.push(
        outboxEvent(UserTopics.profileUpdated, { userId, changed, profile: eventProfile(profile) }),
      );
      return true;
    });
    await this.#revokeQrcode(userId);
    return erased;
  }

  async briefProfiles(userIds: string[]): Promise<ProfileSummaryInit[]> {
    const profiles = await this.deps.orm.em.fork().find(UserProfile, { userId: { $in: userIds } });
    return profiles.map(briefOf);
  }

  /** Refused (20102) when it holds a word of the configured blocklist or of the administrator's policy. */
  async #assertCleanNickname(nickname: string): Promise<void> {
    const lower = nickname.toLowerCase();
    if (this.deps.blockedNicknameWords.some((word) => lower.includes(word))) {
      throw new AppError(ErrorCode.NICKNAME_SENSITIVE);
    }
    await this.deps.words.refuse(nickname, () => new AppError(ErrorCode.NICKNAME_SENSITIVE));
  }

  /** The user's current QR code stops resolving (as a refresh would make it). */
  async #revokeQrcode(userId: string): Promise<void> {
    const current = await this.deps.store.get<{ code: string }>(`qrcode-of:${userId}`);
    if (!current) return;
    await this.deps.store.transact([
      this.#revocation(userId, current.value.code),
      { operation: 'delete', key: `qrcode-of:${userId}` },
    ]);
  }

  /** Makes `code` answer "invalid" from now on; kept as long as a live code, so a scan never finds it unknown. */
  #revocation(userId: string, code: string): StateOperation {
    return {
      operation: 'upsert',
      key: `qrcode:${code}`,
      value: { userId, expiresAt: new Date().toISOString(), revoked: true } satisfies QrRecord,
      ttlInSeconds: this.deps.qrcodeTtlSeconds + QR_GRACE_SECONDS,
    };
  }

  #qrUrl(code: string): string {
    return `${this.deps.publicUrl()}/api/v1/users/qrcode/${code}`;
  }
}
