import { z } from 'zod';
import { defineRoute } from '../platform/http/routes.ts';
import { BOT_SCOPE_DESCRIPTIONS, BOT_SCOPES } from '../platform/security/index.ts';
import { schemas } from '../platform/validation.ts';
import type { BotAccounts } from './domain/bots/bot-accounts.ts';
import { BOT_TOKEN_MAX_SECONDS, type BotTokens } from './domain/bots/bot-tokens.ts';

const tags = ['bot'];

const BotParams = z.object({ botId: schemas.id });
const TokenParams = BotParams.extend({ tokenId: schemas.id });
const BotDto = z.object({
  botId: z.string(),
  ownerId: z.string(),
  name: z.string(),
  avatar: z.string().nullable(),
  account: z.string().describe("the bot's account name (it never signs in with it)"),
  kind: z.literal('bot'),
  acceptsFriendRequests: z.boolean().describe('users other than the owner may befriend the bot'),
  createdAt: z.number().int(),
});
const TokenDto = z.object({
  tokenId: z.string(),
  botId: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  expiresAt: z.number().int(),
  createdAt: z.number().int(),
});
const scopeList = Object.entries(BOT_SCOPE_DESCRIPTIONS)
  .map(([scope, what]) => `${scope}: ${what}`)
  .join('; ');
const IssueBody = z.object({
  name: schemas.name(64).pipe(z.string().min(1, 'must not be empty')),
  scopes: z.array(z.enum(BOT_SCOPES)).min(1).max(BOT_SCOPES.length).describe(scopeList),
  expiresInSeconds: z
    .number()
    .int()
    .min(1)
    .max(BOT_TOKEN_MAX_SECONDS)
    .optional()
    .describe('absent: the longest life a token has (five years); revoke it sooner'),
});

/** The owner's management of their bots and bot tokens (bot tokens themselves are refused here). */
export function botRoutes(bots: BotAccounts, tokens: BotTokens) {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/bots',
      summary: 'Make a bot account that I own (it acts only through the tokens I issue for it)',
      tags,
      access: 'user',
      body: z.object({
        name: schemas.name(32).pipe(z.string().min(1, 'must not be empty')),
        avatar: schemas.url(255).optional(),
      }),
      response: BotDto,
      handler: ({ principal, body }) =>
        bots.create(principal.userId, { name: body.name, avatar: body.avatar ?? null }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/bots',
      summary: 'My bots',
      tags,
      access: 'user',
      response: z.object({ bots: z.array(BotDto) }),
      handler: async ({ principal }) => ({ bots: await bots.list(principal.userId) }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/bots/:botId',
      summary: 'One of my bots (another user’s bot: 11)',
      tags,
      access: 'user',
      params: BotParams,
      response: BotDto,
      handler: ({ principal, params }) => bots.get(principal.userId, params.botId),
    }),
    defineRoute({
      method: 'patch',
      path: '/api/v1/bots/:botId',
      summary: 'Let users other than me befriend my bot, or stop that',
      tags,
      access: 'user',
      params: BotParams,
      body: z.object({ acceptsFriendRequests: z.boolean() }),
      response: BotDto,
      handler: ({ principal, params, body }) =>
        bots.setAcceptsFriendRequests(principal.userId, params.botId, body.acceptsFriendRequests),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/bots/:botId',
      summary: 'Delete my bot: its tokens stop working at once',
      tags,
      access: 'user',
      params: BotParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await bots.remove(principal.userId, params.botId);
        return null;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/bots/:botId/tokens',
      summary:
        "Issue a token for my bot, with scopes and an optional expiry; the answer's token is shown this once",
      tags,
      access: 'user',
      params: BotParams,
      body: IssueBody,
      response: TokenDto.extend({
        token: z.string().describe('send as Authorization: Bearer (HTTP) or as the WebSocket token'),
      }),
      handler: async ({ principal, params, body }) => {
        await bots.owned(principal.userId, params.botId);
        return tokens.issue(params.botId, {
          name: body.name,
          scopes: body.scopes,
          expiresInSeconds: body.expiresInSeconds,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/bots/:botId/tokens',
      summary: "My bot's live tokens (never the tokens themselves)",
      tags,
      access: 'user',
      params: BotParams,
      response: z.object({ tokens: z.array(TokenDto) }),
      handler: async ({ principal, params }) => {
        await bots.owned(principal.userId, params.botId);
        return { tokens: await tokens.list(params.botId) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/bots/:botId/tokens/:tokenId',
      summary: "Revoke one of my bot's tokens: it stops working at once, and its sockets close",
      tags,
      access: 'user',
      params: TokenParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await bots.owned(principal.userId, params.botId);
        await tokens.revoke(params.botId, params.tokenId);
        return null;
      },
    }),
  ];
}
