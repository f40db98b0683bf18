import type { MikroORM } from '@mikro-orm/postgresql';
import {
  contactHashOf,
  DEFAULT_PRIVACY,
  type Privacy,
  timelineAppend,
} from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import { type Outbox, transactionalWithOutbox } from '../../platform/outbox.ts';
import { UserProfile, UserSettings } from '../entities.ts';

/** The kind of the NOTIFICATION that carries a privacy change to the user's devices. */
export const PRIVACY_UPDATED = 'user.privacy_updated';

export interface PrivacyDeps {
  orm: MikroORM;
  outbox: Outbox;
  ids: SnowflakeGenerator;
}

const withDefaults = (stored: Partial<Privacy> | null | undefined): Privacy => ({
  ...DEFAULT_PRIVACY,
  ...stored,
});

/** Users' privacy settings, and the phone-hash lookup that contact discovery asks of them. */
export class PrivacySettings {
  readonly #deps: PrivacyDeps;

  constructor(deps: PrivacyDeps) {
    this.#deps = deps;
  }

  async get(userId: string): Promise<Privacy> {
    const settings = await this.#deps.orm.em.fork().findOne(UserSettings, { userId });
    if (!settings) throw new AppError(ErrorCode.PROFILE_NOT_FOUND);
    return withDefaults(settings.privacy);
  }

  /** Settings of these users; a user without settings is left out. */
  async many(userIds: string[]): Promise<Array<Privacy & { userId: string }>> {
    if (userIds.length === 0) return [];
    const rows = await this.#deps.orm.em
      .fork()
      .find(UserSettings, { userId: { $in: [...new Set(userIds)] } }, { fields: ['userId', 'privacy'] });
    return rows.map((row) => ({ userId: row.userId, ...withDefaults(row.privacy) }));
  }

  /**
   * Changes the settings given; the change reaches the user's devices (NOTIFICATION
   * user.privacy_updated, through their sync timeline) from the same transaction.
   */
  async update(origin: { userId: string; deviceId: string }, changes: Partial<Privacy>): Promise<Privacy> {
    const { userId } = origin;
    return transactionalWithOutbox(this.#deps.orm, this.#deps.outbox, async (tx, events) => {
      const settings = await tx.findOne(UserSettings, { userId });
      if (!settings) throw new AppError(ErrorCode.PROFILE_NOT_FOUND);
      const given = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
      const privacy = withDefaults({ ...settings.privacy, ...given });
      settings.privacy = privacy;
      events.push(
        timelineAppend({
          eventId: this.#deps.ids.next(),
          kind: PRIVACY_UPDATED,
          recipients: [userId],
          payload: { ...privacy },
          origin,
        }),
      );
      return privacy;
    });
  }

  /** Users (not deleted) whose phone number has one of these contact hashes. */
  async findByPhoneHashes(hashes: string[]): Promise<Array<{ userId: string; phoneHash: string }>> {
    if (hashes.length === 0) return [];
    const rows = await this.#deps.orm.em
      .fork()
      .find(
        UserProfile,
        { phoneHash: { $in: [...new Set(hashes)] }, deletedAt: null },
        { fields: ['userId', 'phoneHash'] },
      );
    return rows.map((row) => ({ userId: row.userId, phoneHash: row.phoneHash ?? '' }));
  }
}

/** The contact hash of a stored number (null without one). */
export const phoneHashOf = (phoneNumber: string | null): string | null =>
  phoneNumber ? contactHashOf(phoneNumber) : null;
