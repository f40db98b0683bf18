import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { AuthTopics } from '../../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../../platform/errors.ts';
import type { EventPublisher } from '../../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../../platform/ids.ts';
import type { Logger } from '../../../platform/logger.ts';
import type { StateStore } from '../../../platform/ports/state.ts';
import { ACCESS_TOKEN_AUDIENCE, revokedSessionKey } from '../../../platform/security/index.ts';
import type { SigningKeys } from '../signing-keys.ts';
import type { BotStore, BotToken } from './store.ts';

/** Live tokens one bot may have at once. */
export const MAX_TOKENS_PER_BOT = 10;
/** A token without an expiry lasts this long (a JWT always has one); the owner revokes it sooner. */
export const BOT_TOKEN_MAX_SECONDS = 5 * 365 * 86_400;
/** What a bot token's sessions and devices are called (gateways, presence and revocation see them so). */
export const BOT_DEVICE_TYPE = 'bot';
const REVOKED_REASON = 'bot_token_revoked';

export interface BotTokenView {
  tokenId: string;
  botId: string;
  name: string;
  scopes: string[];
  expiresAt: number;
  createdAt: number;
}

export const tokenView = (token: BotToken): BotTokenView => ({
  tokenId: token.tokenId,
  botId: token.botId,
  name: token.name,
  scopes: token.scopes,
  expiresAt: token.expiresAt.getTime(),
  createdAt: token.createdAt.getTime(),
});

const deviceOf = (tokenId: string) => `bot-token-${tokenId}`;
/** How long a revocation must stand: until the token would have expired. */
const secondsLeft = (token: BotToken) =>
  Math.max(1, Math.ceil((token.expiresAt.getTime() - Date.now()) / 1000));

/**
 * Bot tokens: access tokens (the same JWT every service verifies, so the same routes and the
 * WebSocket accept them) whose subject is the bot, whose session id is the token's id, and that
 * carry their scopes (`scp`). Only their SHA-256 is stored. Revoking one writes its session into
 * the revoked sessions every verifier reads, for as long as the token could still be used.
 */
export class BotTokens {
  readonly #store: BotStore;
  readonly #keys: SigningKeys;
  readonly #revocations: StateStore;
  readonly #events: EventPublisher;
  readonly #ids: SnowflakeGenerator;
  readonly #logger: Logger;

  constructor(deps: {
    store: BotStore;
    keys: SigningKeys;
    revocations: StateStore;
    events: EventPublisher;
    ids: SnowflakeGenerator;
    logger: Logger;
  }) {
    this.#store = deps.store;
    this.#keys = deps.keys;
    this.#revocations = deps.revocations;
    this.#events = deps.events;
    this.#ids = deps.ids;
    this.#logger = deps.logger;
  }

  /** A new token for the bot; the token itself is in this answer only. */
  async issue(
    botId: string,
    input: { name: string; scopes: string[]; expiresInSeconds: number | undefined },
  ): Promise<BotTokenView & { token: string }> {
    if ((await this.#store.liveTokens(botId)).length >= MAX_TOKENS_PER_BOT)
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail: `a bot has at most ${MAX_TOKENS_PER_BOT} live tokens; revoke one first`,
      });
    const tokenId = this.#ids.next();
    const createdAt = new Date();
    const seconds = Math.min(input.expiresInSeconds ?? BOT_TOKEN_MAX_SECONDS, BOT_TOKEN_MAX_SECONDS);
    const expiresAt = new Date(Math.floor(createdAt.getTime() / 1000 + seconds) * 1000);
    const scopes = [...new Set(input.scopes)].sort();
    const token = await this.#keys.signJwt(
      new SignJWT({ sid: tokenId, did: deviceOf(tokenId), dty: BOT_DEVICE_TYPE, scp: scopes })
        .setSubject(botId)
        .setAudience(ACCESS_TOKEN_AUDIENCE)
        .setExpirationTime(expiresAt),
    );
    const row = { tokenId, botId, name: input.name, scopes, expiresAt, createdAt };
    await this.#store.insertToken({ ...row, sha256: createHash('sha256').update(token).digest() });
    return { ...tokenView(row), token };
  }

  async list(botId: string): Promise<BotTokenView[]> {
    return (await this.#store.liveTokens(botId)).map(tokenView);
  }

  async revoke(botId: string, tokenId: string): Promise<void> {
    const token = await this.#store.revokeToken(botId, tokenId);
    if (!token) throw new AppError(ErrorCode.NOT_FOUND, { detail: `no live token ${tokenId} of this bot` });
    await this.announceRevoked([token]);
  }

  /**
   * Writes every revocation that must still stand into the revoked sessions again (at start): the
   * database is the record, the shared state store only what verifiers read, and a store that lost
   * its data (a Redis restarted without persistence) must not bring a revoked token back.
   */
  async restoreRevocations(): Promise<number> {
    const tokens = await this.#store.revokedUnexpired();
    for (const token of tokens)
      await this.#revocations.save(
        revokedSessionKey(token.tokenId),
        { reason: REVOKED_REASON },
        { ttlInSeconds: secondsLeft(token) },
      );
    return tokens.length;
  }

  /**
   * After the rows are revoked: every verifier refuses the tokens from now on (the revoked
   * sessions live until the tokens would have expired), and gateways close their sockets.
   */
  async announceRevoked(tokens: BotToken[]): Promise<void> {
    for (const token of tokens) {
      await this.#revocations.save(
        revokedSessionKey(token.tokenId),
        { reason: REVOKED_REASON },
        { ttlInSeconds: secondsLeft(token) },
      );
      await this.#events
        .publish(AuthTopics.sessionRevoked, {
          userId: token.botId,
          sessionId: token.tokenId,
          deviceId: deviceOf(token.tokenId),
          deviceType: BOT_DEVICE_TYPE,
          reason: REVOKED_REASON,
        })
        .catch((error: unknown) => {
          // The state store already refuses the token; the event only hurries gateways.
          this.#logger.warn({ err: error, tokenId: token.tokenId }, 'could not publish bot token revocation');
        });
    }
  }
}
