import type { z } from 'zod';
import { MessageTopics, SessionMethods } from '../platform/contracts/index.ts';
import type { CloudEvent, Subscription } from '../platform/ports/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { parseInternal } from '../platform/validation.ts';
import { type EventOutcome, SessionService } from './domain/session-service.ts';
import { sessionEntities } from './entities.ts';
import { Migration20261122000500_session } from './migrations/Migration20261122000500_session.ts';
import { sessionRoutes } from './routes.ts';
import {
  MessageClearedInput,
  MessageCreatedInput,
  MessageReadInput,
  MessageRecalledInput,
  SettingsInput,
} from './schemas.ts';

/** A subscription that drops events it cannot read and hands the others to the domain. */
function on<T>(
  pubsubName: string,
  topic: string,
  schema: z.ZodType<T>,
  apply: (event: T) => Promise<EventOutcome>,
): Subscription {
  return {
    pubsubName,
    topic,
    async handle(event: CloudEvent) {
      const parsed = schema.safeParse(event.data);
      if (!parsed.success) return 'DROP';
      return apply(parsed.data);
    },
  };
}

export const sessionService: ServiceModule = {
  name: 'session',
  schema: 'session',
  entities: sessionEntities,
  migrations: [{ name: 'Migration20261122000500_session', class: Migration20261122000500_session }],
  async create(ctx) {
    const sessions = new SessionService({
      orm: ctx.orm,
      pubsub: ctx.pubsub,
      pubsubName: ctx.pubsubName,
      invoke: ctx.invoke,
      ids: ctx.ids,
      logger: ctx.logger,
    });
    return {
      routes: sessionRoutes(sessions),
      // The conversation list is a projection of the message service's events (at-least-once, unordered).
      subscriptions: [
        on(ctx.pubsubName, MessageTopics.created, MessageCreatedInput, (e) => sessions.onMessageCreated(e)),
        on(ctx.pubsubName, MessageTopics.read, MessageReadInput, (e) => sessions.onMessageRead(e)),
        on(ctx.pubsubName, MessageTopics.recalled, MessageRecalledInput, (e) =>
          sessions.onMessageRecalled(e),
        ),
        on(ctx.pubsubName, MessageTopics.cleared, MessageClearedInput, (e) => sessions.onMessageCleared(e)),
      ],
      internal: {
        [SessionMethods.settings]: async (body) => {
          const input = parseInternal(SettingsInput, body);
          return sessions.settings(input.userId, input.sessionIds);
        },
      },
    };
  },
};
