import type { SqlExecutor } from '../../../platform/db/index.ts';
import type { EventPublisher } from '../../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../../platform/ids.ts';
import type { Logger } from '../../../platform/logger.ts';
import type { StateStore } from '../../../platform/ports/state.ts';
import { botInternal } from '../../bot-internal.ts';
import { botRoutes } from '../../bot-routes.ts';
import type { UserClient } from '../../clients/users.ts';
import type { SigningKeys } from '../signing-keys.ts';
import { BotAccounts } from './bot-accounts.ts';
import { BotTokens } from './bot-tokens.ts';
import { BotStore } from './store.ts';

export { BotAccounts } from './bot-accounts.ts';
export { BotTokens } from './bot-tokens.ts';
export { BotStore } from './store.ts';

/** The auth service's bots: their routes and the lookup other services call. */
export function botFeature(deps: {
  sql: SqlExecutor;
  keys: SigningKeys;
  /** The shared store every token verifier reads revoked sessions from. */
  revocations: StateStore;
  events: EventPublisher;
  users: UserClient;
  ids: SnowflakeGenerator;
  logger: Logger;
}) {
  const store = new BotStore(deps.sql);
  const tokens = new BotTokens({ ...deps, store });
  const accounts = new BotAccounts({ ...deps, store, tokens });
  tokens
    .restoreRevocations()
    .then((count) => {
      if (count > 0) deps.logger.info({ count }, 'bot token revocations restored');
    })
    .catch((error: unknown) => deps.logger.error({ err: error }, 'bot token revocations not restored'));
  return { routes: botRoutes(accounts, tokens), internal: botInternal(store) };
}
