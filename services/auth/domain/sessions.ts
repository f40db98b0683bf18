import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../../platform/config.ts';
import { AuthTopics, type SessionRevokeReason } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { EventPublisher } from '../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { StateStore } from '../../platform/ports/index.ts';
import { revokedSessionKey } from '../../platform/security/index.ts';
import { RefreshToken, RefreshTokenStatus, UserDevice, UserSession } from '../entities.ts';
import type { SigningKeys } from './signing-keys.ts';

export interface DeviceInfo {
  deviceId: string;
  deviceType: string;
  deviceName?: string | undefined;
  clientVersion?: string | undefined;
  ip?: string | undefined;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Device sessions and their tokens. A session is one refresh-token family: refreshing rotates the
 * token; presenting a rotated one again means it leaked, so the whole family is revoked.
 */
export class Sessions {
  private readonly orm: MikroORM;
  private readonly keys: SigningKeys;
  private readonly revocations: StateStore;
  private readonly events: EventPublisher;
  private readonly ids: SnowflakeGenerator;
  private readonly config: Config['auth'];
  private readonly logger: Logger;

  constructor(
    orm: MikroORM,
    keys: SigningKeys,
    revocations: StateStore,
    events: EventPublisher,
    ids: SnowflakeGenerator,
    config: Config['auth'],
    logger: Logger,
  ) {
    this.orm = orm;
    this.keys = keys;
    this.revocations = revocations;
    this.events = events;
    this.ids = ids;
    this.config = config;
    this.logger = logger;
  }

  /** Signs a device in, ending the sessions the multi-device policy says it replaces. */
  async open(userId: string, device: DeviceInfo, em: EntityManager = this.orm.em.fork()): Promise<TokenPair> {
    const refreshToken = randomBytes(32).toString('base64url');
    const sessionId = this.ids.next();
    const replaced = await em.transactional(async (tx) => {
      const existing = await tx.findOne(UserDevice, { userId, deviceId: device.deviceId });
      const seen = {
        lastLoginTime: new Date(),
        lastLoginIp: device.ip ?? null,
        deviceType: device.deviceType,
      };
      if (existing) {
        tx.assign(existing, {
          ...seen,
          deviceName: device.deviceName ?? existing.deviceName,
          clientVersion: device.clientVersion ?? existing.clientVersion,
        });
      } else {
        tx.create(UserDevice, {
          id: this.ids.next(),
          userId,
          deviceId: device.deviceId,
          deviceName: device.deviceName ?? null,
          clientVersion: device.clientVersion ?? null,
          ...seen,
        });
      }
      const active = await tx.find(
        UserSession,
        { userId, revokedAt: null },
        { orderBy: { createdAt: 'asc' } },
      );
      const toReplace = this.#sessionsToReplace(active, device);
      for (const session of toReplace)
        tx.assign(session, { revokedAt: new Date(), revokeReason: 'replaced' });
      tx.create(UserSession, {
        id: sessionId,
        userId,
        deviceId: device.deviceId,
        deviceType: device.deviceType,
      });
      tx.create(RefreshToken, {
        tokenHash: hashToken(refreshToken),
        sessionId,
        status: RefreshTokenStatus.ACTIVE,
        expiresAt: new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000),
      });
      if (toReplace.length > 0) {
        await tx.nativeUpdate(
          RefreshToken,
          { sessionId: { $in: toReplace.map((s) => s.id) }, status: RefreshTokenStatus.ACTIVE },
          { status: RefreshTokenStatus.REVOKED },
        );
      }
      return toReplace;
    });
    await this.#announceRevoked(replaced, 'replaced');
    return this.#pair(userId, sessionId, device, refreshToken);
  }

  /** Sessions a new login on `device` ends, by the multi-device policy; `active` is oldest first. */
  #sessionsToReplace(active: UserSession[], device: DeviceInfo): UserSession[] {
    const sameDevice = (session: UserSession) => session.deviceId === device.deviceId;
    switch (this.config.multiDevicePolicy) {
      case 'single':
        return active;
      case 'per-device-type':
        return active.filter((session) => sameDevice(session) || session.deviceType === device.deviceType);
      case 'multi': {
        const others = active.filter((session) => !sameDevice(session));
        const overflow = Math.max(0, others.length + 1 - this.config.maxDevices);
        return [...active.filter(sameDevice), ...others.slice(0, overflow)];
      }
    }
  }

  async refresh(presented: string): Promise<TokenPair> {
    const em = this.orm.em.fork();
    const tokenHash = hashToken(presented);
    const next = randomBytes(32).toString('base64url');
    const outcome = await em.transactional(async (tx) => {
      const token = await tx.findOne(RefreshToken, { tokenHash });
      if (!token) return { kind: 'unknown' as const };
      const session = await tx.findOneOrFail(UserSession, { id: token.sessionId });
      if (token.status !== RefreshTokenStatus.ACTIVE || session.revokedAt) {
        if (token.status === RefreshTokenStatus.ROTATED && !session.revokedAt) {
          await this.#revokeInTx(tx, [session], 'token_reuse');
          return { kind: 'reused' as const, session };
        }
        return { kind: 'unknown' as const };
      }
      if (token.expiresAt.getTime() <= Date.now()) return { kind: 'expired' as const };
      // Conditional update: of two concurrent refreshes with one token, only one wins.
      const won = await tx.nativeUpdate(
        RefreshToken,
        { tokenHash, status: RefreshTokenStatus.ACTIVE },
        { status: RefreshTokenStatus.ROTATED },
      );
      if (won === 0) return { kind: 'unknown' as const };
      tx.create(RefreshToken, {
        tokenHash: hashToken(next),
        sessionId: session.id,
        status: RefreshTokenStatus.ACTIVE,
        expiresAt: new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000),
      });
      session.lastRefreshedAt = new Date();
      return { kind: 'rotated' as const, session };
    });
    switch (outcome.kind) {
      case 'unknown':
        throw new AppError(ErrorCode.REFRESH_TOKEN_INVALID);
      case 'expired':
        throw new AppError(ErrorCode.REFRESH_TOKEN_EXPIRED);
      case 'reused':
        this.logger.warn(
          { sessionId: outcome.session.id, userId: outcome.session.userId },
          'refresh token reused; family revoked',
        );
        await this.#announceRevoked([outcome.session], 'token_reuse');
        throw new AppError(ErrorCode.REFRESH_TOKEN_INVALID, {
          detail: 'token was already used; the session is signed out',
        });
      case 'rotated': {
        const { session } = outcome;
        return this.#pair(session.userId, session.id, session, next);
      }
    }
  }

  /** Ends sessions matching the filter (all of a user's, one device's, all but one). */
  async revoke(
    filter: { userId: string; sessionId?: string; deviceId?: string; exceptSessionId?: string },
    reason: SessionRevokeReason,
  ): Promise<number> {
    const em = this.orm.em.fork();
    const sessions = await em.transactional(async (tx) => {
      const where: Record<string, unknown> = { userId: filter.userId, revokedAt: null };
      if (filter.sessionId) where.id = filter.sessionId;
      if (filter.deviceId) where.deviceId = filter.deviceId;
      if (filter.exceptSessionId) where.id = { $ne: filter.exceptSessionId };
      const found = await tx.find(UserSession, where);
      await this.#revokeInTx(tx, found, reason);
      return found;
    });
    await this.#announceRevoked(sessions, reason);
    return sessions.length;
  }

  async activeSessions(userId: string): Promise<UserSession[]> {
    return this.orm.em.fork().find(UserSession, { userId, revokedAt: null });
  }

  async #revokeInTx(tx: EntityManager, sessions: UserSession[], reason: SessionRevokeReason): Promise<void> {
    if (sessions.length === 0) return;
    for (const session of sessions) tx.assign(session, { revokedAt: new Date(), revokeReason: reason });
    await tx.nativeUpdate(
      RefreshToken,
      { sessionId: { $in: sessions.map((s) => s.id) }, status: RefreshTokenStatus.ACTIVE },
      { status: RefreshTokenStatus.REVOKED },
    );
  }

  /** After commit: access tokens of ended sessions stop working everywhere, and gateways disconnect them. */
  async #announceRevoked(sessions: UserSession[], reason: SessionRevokeReason): Promise<void> {
    for (const session of sessions) {
      await this.revocations.save(
        revokedSessionKey(session.id),
        { reason },
        { ttlInSeconds: this.config.accessTokenTtlSeconds },
      );
      const revoked = {
        userId: session.userId,
        sessionId: session.id,
        deviceId: session.deviceId,
        deviceType: session.deviceType,
        reason,
      };
      await this.events.publish(AuthTopics.sessionRevoked, revoked).catch((error: unknown) => {
        // The session is already revoked in the database and the state store; the event only hurries gateways.
        this.logger.warn({ err: error, sessionId: session.id }, 'could not publish session revocation');
      });
    }
  }

  async #pair(
    userId: string,
    sessionId: string,
    device: { deviceId: string; deviceType: string },
    refreshToken: string,
  ): Promise<TokenPair> {
    const accessToken = await this.keys.sign({
      userId,
      sessionId,
      deviceId: device.deviceId,
      deviceType: device.deviceType,
    });
    return { accessToken, refreshToken, expiresIn: this.config.accessTokenTtlSeconds };
  }
}
