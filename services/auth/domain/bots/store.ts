import type { SqlExecutor } from '../../../platform/db/index.ts';

export interface Bot {
  botId: string;
  ownerId: string;
  name: string;
  avatar: string | null;
  acceptsFriendRequests: boolean;
  createdAt: Date;
}

export interface BotToken {
  tokenId: string;
  botId: string;
  name: string;
  scopes: string[];
  expiresAt: Date;
  createdAt: Date;
}

type Row = Record<string, unknown>;

const BOT_COLUMNS = `bot_id::text as bot_id, owner_id::text as owner_id, name, avatar,
  accepts_friend_requests, created_at`;
const TOKEN_COLUMNS =
  'token_id::text as token_id, bot_id::text as bot_id, name, scopes, expires_at, created_at';

const toBot = (row: Row): Bot => ({
  botId: row.bot_id as string,
  ownerId: row.owner_id as string,
  name: row.name as string,
  avatar: (row.avatar as string | null) ?? null,
  acceptsFriendRequests: row.accepts_friend_requests as boolean,
  createdAt: new Date(row.created_at as string),
});

const toToken = (row: Row): BotToken => ({
  tokenId: row.token_id as string,
  botId: row.bot_id as string,
  name: row.name as string,
  scopes: row.scopes as string[],
  expiresAt: new Date(row.expires_at as string),
  createdAt: new Date(row.created_at as string),
});

/** The bots' and their tokens' tables (auth schema). */
export class BotStore {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  async insertBot(bot: Omit<Bot, 'createdAt' | 'acceptsFriendRequests'>, tx = this.#sql): Promise<Bot> {
    const [row] = await tx.query(
      `insert into auth.bots (bot_id, owner_id, name, avatar) values (?, ?, ?, ?) returning ${BOT_COLUMNS}`,
      [bot.botId, bot.ownerId, bot.name, bot.avatar],
    );
    return toBot(row!);
  }

  /** A live bot of this owner; undefined for another owner's bot (not told apart from a missing one). */
  async owned(ownerId: string, botId: string): Promise<Bot | undefined> {
    const [row] = await this.#sql.query(
      `select ${BOT_COLUMNS} from auth.bots where bot_id = ? and owner_id = ? and deleted_at is null`,
      [botId, ownerId],
    );
    return row ? toBot(row) : undefined;
  }

  async ofOwner(ownerId: string): Promise<Bot[]> {
    const rows = await this.#sql.query(
      `select ${BOT_COLUMNS} from auth.bots where owner_id = ? and deleted_at is null order by bot_id`,
      [ownerId],
    );
    return rows.map(toBot);
  }

  /** Live bots among these users (profiles and friend requests ask which users are bots). */
  async among(userIds: string[]): Promise<Bot[]> {
    if (userIds.length === 0) return [];
    const rows = await this.#sql.query(
      `select ${BOT_COLUMNS} from auth.bots
        where bot_id in (select x::bigint from jsonb_array_elements_text(?::jsonb) x) and deleted_at is null`,
      [JSON.stringify(userIds)],
    );
    return rows.map(toBot);
  }

  async setAcceptsFriendRequests(botId: string, accepts: boolean): Promise<void> {
    await this.#sql.query('update auth.bots set accepts_friend_requests = ? where bot_id = ?', [
      accepts,
      botId,
    ]);
  }

  /** Marks the bot deleted and revokes its live tokens; returns the tokens revoked. */
  async deleteBot(botId: string): Promise<BotToken[]> {
    return this.#sql.transaction(async (tx) => {
      await tx.query('update auth.bots set deleted_at = now() where bot_id = ? and deleted_at is null', [
        botId,
      ]);
      const rows = await tx.query(
        `update auth.bot_tokens set revoked_at = now() where bot_id = ? and revoked_at is null
          returning ${TOKEN_COLUMNS}`,
        [botId],
      );
      return rows.map(toToken);
    });
  }

  async insertToken(token: BotToken & { sha256: Buffer }): Promise<void> {
    await this.#sql.query(
      `insert into auth.bot_tokens (token_id, bot_id, name, token_sha256, scopes, expires_at, created_at)
       values (?, ?, ?, ?, array(select jsonb_array_elements_text(?::jsonb)), ?, ?)`,
      [
        token.tokenId,
        token.botId,
        token.name,
        token.sha256,
        JSON.stringify(token.scopes),
        token.expiresAt,
        token.createdAt,
      ],
    );
  }

  /** The bot's tokens neither revoked nor expired. */
  async liveTokens(botId: string): Promise<BotToken[]> {
    const rows = await this.#sql.query(
      `select ${TOKEN_COLUMNS} from auth.bot_tokens
        where bot_id = ? and revoked_at is null and expires_at > now() order by token_id`,
      [botId],
    );
    return rows.map(toToken);
  }

  /** Tokens revoked (or of deleted bots) that would still be valid: their revocations must stand. */
  async revokedUnexpired(): Promise<BotToken[]> {
    const rows = await this.#sql.query(
      `select ${TOKEN_COLUMNS} from auth.bot_tokens where revoked_at is not null and expires_at > now()`,
    );
    return rows.map(toToken);
  }

  /** The token when it was live (it is revoked now). */
  async revokeToken(botId: string, tokenId: string): Promise<BotToken | undefined> {
    const [row] = await this.#sql.query(
      `update auth.bot_tokens set revoked_at = now()
        where token_id = ? and bot_id = ? and revoked_at is null and expires_at > now()
        returning ${TOKEN_COLUMNS}`,
      [tokenId, botId],
    );
    return row ? toToken(row) : undefined;
  }
}
