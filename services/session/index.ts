import type { z } from 'zod';
import { MessageTopics } from '../platform/contracts/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { validatedSubscription } from '../platform/validation.ts';
import { Directory } from './clients/directory.ts';
import { SessionService } from './domain/session-service.ts';
import { sessionEntities } from './entities.ts';
import { sessionInternal } from './internal.ts';
import { Migration20261122000500_session } from './migrations/Migration20261122000500_session.ts';
import { sessionRoutes } from './routes.ts';
import {
  MessageClearedInput,
  MessageCreatedInput,
  MessageReadInput,
  MessageRecalledInput,
} from './schemas.ts';

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
      directory: new Directory(ctx.invoke),
      ids: ctx.ids,
      logger: ctx.logger,
    });
    const on = <T>(topic: string, schema: z.ZodType<T>, handle: (event: T) => Promise<unknown>) =>
      validatedSubscription({ pubsubName: ctx.pubsubName, topic, schema, logger: ctx.logger, handle });
    return {
      routes: sessionRoutes(sessions),
      // The conversation list is a projection of the message service's events (at-least-once, unordered).
      subscriptions: [
        on(MessageTopics.created, MessageCreatedInput, (e) => sessions.onMessageCreated(e)),
        on(MessageTopics.read, MessageReadInput, (e) => sessions.onMessageRead(e)),
        on(MessageTopics.recalled, MessageRecalledInput, (e) => sessions.onMessageRecalled(e)),
        on(MessageTopics.cleared, MessageClearedInput, (e) => sessions.onMessageCleared(e)),
      ],
      internal: sessionInternal(sessions),
    };
  },
};
