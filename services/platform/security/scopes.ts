import { AppError, ErrorCode } from '../errors.ts';
import type { Principal } from './principal.ts';

/**
 * What a bot token may do. A user's own token may do everything; a bot token only what its scopes
 * name, and a route or WebSocket frame that names no scope is refused to every bot token (new routes
 * are closed to bots until someone decides they fit a scope).
 */
export const BOT_SCOPES = ['messages:send', 'messages:read', 'groups:read', 'groups:join'] as const;
export type BotScope = (typeof BOT_SCOPES)[number];

export const BOT_SCOPE_DESCRIPTIONS: Record<BotScope, string> = {
  'messages:send': 'send messages (HTTP and the SEND_MESSAGE and TYPING frames)',
  'messages:read':
    'read conversations, history and offline messages; connect to the WebSocket (which delivers messages)',
  'groups:read': "read the bot's groups, their details and members",
  'groups:join': "see and answer the bot's group invitations (from admins who may not add it directly)",
};

/** 10122 unless the caller is a user (no scopes) or a bot token holding `scope`. */
export function requireScope(
  principal: Pick<Principal, 'scopes'>,
  scope: BotScope | undefined,
  what: string,
): void {
  if (!principal.scopes) return;
  if (scope && principal.scopes.includes(scope)) return;
  throw new AppError(ErrorCode.TOKEN_SCOPE_MISSING, {
    detail: scope ? `${what} needs the scope ${scope}` : `${what} is not open to bot tokens`,
    data: { scope: scope ?? null },
  });
}
