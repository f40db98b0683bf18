import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { UserTopics } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import {
  type Outbox,
  outboxEvent,
  type PendingEvent,
  transactionalWithOutbox,
} from '../../platform/outbox.ts';
import { PushToken, UserProfile } from '../entities.ts';

export type PushPlatform = 'iOS' | 'Android' | 'Web';

export interface PushRegistration {
  deviceId: string;
  platform: string;
  provider: string;
  language: string;
  updatedAt: Date;
}

export interface NewRegistration {
  pushToken: string;
  platform: PushPlatform;
  /** Unset: the platform's own (APNs for iOS, FCM for Android, Web Push for browsers). */
  provider?: string | undefined;
  /** The device's language; unset: the user's language setting. */
  language?: string | undefined;
}

const DEFAULT_PROVIDER: Record<PushPlatform, string> = { iOS: 'apns', Android: 'fcm', Web: 'webpush' };

/** What each built-in provider's tokens look like; a configured provider's are its own business. */
const TOKEN_SHAPES: Record<string, (token: string) => boolean> = {
  apns: (token) => /^[0-9a-fA-F]{64,200}$/.test(token),
  fcm: (token) => /^[\w:.-]{20,4096}$/.test(token),
  webpush: isWebPushSubscription,
};

function isWebPushSubscription(token: string): boolean {
  try {
    const parsed = JSON.parse(token) as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } };
    const endpoint = typeof parsed.endpoint === 'string' ? new URL(parsed.endpoint) : undefined;
    const b64url = /^[A-Za-z0-9_-]+=*$/;
    return (
      endpoint !== undefined &&
      (endpoint.protocol === 'https:' || endpoint.protocol === 'http:') &&
      typeof parsed.keys?.p256dh === 'string' &&
      b64url.test(parsed.keys.p256dh) &&
      typeof parsed.keys.auth === 'string' &&
      b64url.test(parsed.keys.auth)
    );
  } catch {
    return false;
  }
}

/**
 * The push-token registry (seed §6.3.4): one registration per device of a user. Every change is
 * announced (`user.push-token.changed`, through the outbox in the transaction that makes it), so
 * that the push service's copy follows without reading this table.
 */
export class PushTokens {
  readonly #orm: MikroORM;
  readonly #outbox: Outbox;
  readonly #ids: SnowflakeGenerator;

  constructor(orm: MikroORM, outbox: Outbox, ids: SnowflakeGenerator) {
    this.#orm = orm;
    this.#outbox = outbox;
    this.#ids = ids;
  }

  async save(userId: string, deviceId: string, input: NewRegistration, userLanguage: string): Promise<void> {
    const provider = input.provider ?? DEFAULT_PROVIDER[input.platform];
    const shape = TOKEN_SHAPES[provider];
    if (shape && !shape(input.pushToken)) {
      throw new AppError(ErrorCode.PUSH_TOKEN_INVALID, { detail: `not a token of the ${provider} provider` });
    }
    const language = input.language ?? userLanguage;
    await transactionalWithOutbox(this.#orm, this.#outbox, async (tx, events) => {
      const profile = await tx.findOne(UserProfile, { userId }, { fields: ['userId', 'deletedAt'] });
      if (!profile || profile.deletedAt) throw new AppError(ErrorCode.PROFILE_NOT_FOUND);
      const now = new Date();
      await tx.upsert(
        PushToken,
        {
          id: this.#ids.next(),
          userId,
          deviceId,
          pushToken: input.pushToken,
          platform: input.platform,
          provider,
          language,
          updatedAt: now,
        },
        {
          onConflictFields: ['userId', 'deviceId'],
          onConflictMergeFields: ['pushToken', 'platform', 'provider', 'language', 'updatedAt'],
        },
      );
      events.push(
        outboxEvent(UserTopics.pushTokenChanged, {
          userId,
          deviceId,
          removed: false,
          pushToken: input.pushToken,
          platform: input.platform,
          provider,
          language,
          version: BigInt(now.getTime()),
        }),
      );
    });
  }

  /** The user's registrations, newest first (never the tokens themselves: they address the device). */
  async list(userId: string): Promise<PushRegistration[]> {
    const rows = await this.#orm.em.fork().find(PushToken, { userId }, { orderBy: { updatedAt: 'desc' } });
    return rows.map((row) => ({
      deviceId: row.deviceId,
      platform: row.platform,
      provider: row.provider,
      language: row.language,
      updatedAt: row.updatedAt,
    }));
  }

  /**
   * Removes a device's registration; with `token`, only while it still holds that token (the push
   * service reporting a dead one must not remove the fresh token a device registered meanwhile).
   */
  async remove(userId: string, deviceId: string, token?: string): Promise<boolean> {
    return transactionalWithOutbox(this.#orm, this.#outbox, async (tx, events) => {
      const removed = await tx.nativeDelete(PushToken, {
        userId,
        deviceId,
        ...(token === undefined ? {} : { pushToken: token }),
      });
      if (removed > 0) events.push(removedEvent(userId, deviceId));
      return removed > 0;
    });
  }

  /** Within the transaction that erases an account: every registration goes, announced. */
  async removeAll(tx: EntityManager, userId: string, events: PendingEvent[]): Promise<void> {
    const rows = await tx.find(PushToken, { userId }, { fields: ['deviceId'] });
    await tx.nativeDelete(PushToken, { userId });
    for (const row of rows) events.push(removedEvent(userId, row.deviceId));
  }
}

const removedEvent = (userId: string, deviceId: string) =>
  outboxEvent(UserTopics.pushTokenChanged, {
    userId,
    deviceId,
    removed: true,
    pushToken: '',
    platform: '',
    provider: '',
    language: '',
    version: BigInt(Date.now()),
  });
