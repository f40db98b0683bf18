import { AuthTopics } from '../../../platform/contracts/index.ts';
import type { SqlExecutor } from '../../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../../platform/errors.ts';
import type { EventPublisher } from '../../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../../platform/ids.ts';
import type { UserClient } from '../../clients/users.ts';
import { AccountStatus } from '../../entities.ts';
import type { BotTokens } from './bot-tokens.ts';
import type { Bot, BotStore } from './store.ts';

/** Bots one user may own at once. */
export const MAX_BOTS_PER_OWNER = 20;
/**
 * Stored as a bot's password hash: not an argon2 hash, so no password ever verifies against it
 * (verifyPassword answers false, as for a wrong password), and a bot never signs in by password.
 */
const NO_PASSWORD = '!bot';
/** A bot's account name: `-` is outside what registration accepts, so no user can take one first. */
const botAccount = (botId: string) => `bot-${botId}`;

export interface BotView {
  botId: string;
  ownerId: string;
  name: string;
  avatar: string | null;
  account: string;
  kind: 'bot';
  acceptsFriendRequests: boolean;
  createdAt: number;
}

export const botView = (bot: Bot): BotView => ({
  botId: bot.botId,
  ownerId: bot.ownerId,
  name: bot.name,
  avatar: bot.avatar,
  account: botAccount(bot.botId),
  kind: 'bot',
  acceptsFriendRequests: bot.acceptsFriendRequests,
  createdAt: bot.createdAt.getTime(),
});

/**
 * Bot accounts: a user account of kind bot that a user owns. It has a profile like any user (its
 * name as nickname), no password, phone or e-mail, and acts only through the tokens its owner
 * issues. Another user's bot is answered as not found (11): whose bots exist is not told.
 */
export class BotAccounts {
  readonly #sql: SqlExecutor;
  readonly #store: BotStore;
  readonly #tokens: BotTokens;
  readonly #users: UserClient;
  readonly #events: EventPublisher;
  readonly #ids: SnowflakeGenerator;

  constructor(deps: {
    sql: SqlExecutor;
    store: BotStore;
    tokens: BotTokens;
    users: UserClient;
    events: EventPublisher;
    ids: SnowflakeGenerator;
  }) {
    this.#sql = deps.sql;
    this.#store = deps.store;
    this.#tokens = deps.tokens;
    this.#users = deps.users;
    this.#events = deps.events;
    this.#ids = deps.ids;
  }

  async create(ownerId: string, input: { name: string; avatar: string | null }): Promise<BotView> {
    if ((await this.#store.ofOwner(ownerId)).length >= MAX_BOTS_PER_OWNER)
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail: `a user owns at most ${MAX_BOTS_PER_OWNER} bots; delete one first`,
      });
    const botId = this.#ids.next();
    const bot = await this.#sql.transaction(async (tx) => {
      await tx.query(
        `insert into auth.users (user_id, account, password_hash, status, password_changed_at, created_at, updated_at)
         values (?, ?, ?, ?, now(), now(), now())`,
        [botId, botAccount(botId), NO_PASSWORD, AccountStatus.ACTIVE],
      );
      return this.#store.insertBot({ botId, ownerId, name: input.name, avatar: input.avatar }, tx);
    });
    try {
      // Synchronous, as for a registration: the bot is a user others see from its first message.
      await this.#users.createProfile({
        userId: botId,
        account: botAccount(botId),
        phoneNumber: null,
        email: null,
        nickname: input.name,
        botOwnerId: ownerId,
        avatar: input.avatar,
      });
    } catch (error) {
      await this.#sql.transaction(async (tx) => {
        await tx.query('delete from auth.bots where bot_id = ?', [botId]);
        await tx.query('delete from auth.users where user_id = ?', [botId]);
      });
      throw error instanceof AppError ? error : new AppError(ErrorCode.SERVICE_UNAVAILABLE, { cause: error });
    }
    return botView(bot);
  }

  async list(ownerId: string): Promise<BotView[]> {
    return (await this.#store.ofOwner(ownerId)).map(botView);
  }

  /** The owner's bot, or 11. */
  async owned(ownerId: string, botId: string): Promise<Bot> {
    const bot = await this.#store.owned(ownerId, botId);
    if (!bot) throw new AppError(ErrorCode.NOT_FOUND, { detail: `no bot ${botId} of yours` });
    return bot;
  }

  async get(ownerId: string, botId: string): Promise<BotView> {
    return botView(await this.owned(ownerId, botId));
  }

  /** Whether users other than the owner may befriend the bot (off when it is made). */
  async setAcceptsFriendRequests(ownerId: string, botId: string, accepts: boolean): Promise<BotView> {
    const bot = await this.owned(ownerId, botId);
    await this.#store.setAcceptsFriendRequests(botId, accepts);
    return botView({ ...bot, acceptsFriendRequests: accepts });
  }

  /**
   * Deletes the bot as an account is deleted: its tokens stop working at once (and its sockets
   * close), and the services that hold its profile, friendships and memberships hear
   * `auth.account.status-changed` (deleted) as for any account. The event goes out first, and a
   * failed publish fails the call while the bot still exists, so the owner's retry sends it again.
   */
  async remove(ownerId: string, botId: string): Promise<void> {
    await this.owned(ownerId, botId);
    await this.#sql.query('update auth.users set status = ?, updated_at = now() where user_id = ?', [
      AccountStatus.DELETED,
      botId,
    ]);
    await this.#events.publish(AuthTopics.accountStatusChanged, {
      userId: botId,
      status: AccountStatus.DELETED,
    });
    const revoked = await this.#store.deleteBot(botId);
    await this.#tokens.announceRevoked(revoked);
  }
}
