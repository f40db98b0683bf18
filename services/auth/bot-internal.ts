import { z } from 'zod';
import { BotService } from '../platform/contracts/gen/anychat/auth/v1/bots_pb.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import type { BotStore } from './domain/bots/store.ts';

/** Most ids one GetBots call takes (as the other bulk lookups). */
export const MAX_BOT_IDS = 500;

/** Input rules of BotService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const BotInputs = {
  getBots: z.object({ userIds: z.array(z.string().regex(SNOWFLAKE_PATTERN)).max(MAX_BOT_IDS) }),
} satisfies InputSchemas<typeof BotService>;

/** What the auth service serves about bots (proto/anychat/auth/v1/bots.proto). */
export function botInternal(store: BotStore): InternalService {
  return internalService(BotService, BotInputs, {
    getBots: async ({ userIds }) => ({
      bots: (await store.among(userIds)).map((bot) => ({
        botId: bot.botId,
        ownerId: bot.ownerId,
        acceptsFriendRequests: bot.acceptsFriendRequests,
      })),
    }),
  });
}
