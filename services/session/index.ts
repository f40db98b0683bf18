import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { MessageTopics } from '../platform/contracts/index.ts';
import { eventBulkSubscription, eventSubscription, type Topic } from '../platform/events/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { Directory } from './clients/directory.ts';
import { SessionService } from './domain/session-service.ts';
import { sessionEntities } from './entities.ts';
import { sessionInternal } from './internal.ts';
import { Migration20261122000500_session } from './migrations/Migration20261122000500_session.ts';
import { Migration20261201001300_session_edits } from './migrations/Migration20261201001300_session_edits.ts';
import { sessionRoutes } from './routes.ts';

/**
 * Bulk delivery of `message.created`: the projection's cost is per batch (one transaction of four
 * statements), so batches may be large. The wait is the shortest Dapr takes (its timer needs a
 * positive one): under load batches fill while the previous one is written, not by waiting.
 */
const CREATED_BATCH = { maxMessages: 200, maxAwaitMs: 1 };

export const sessionService: ServiceModule = {
  name: 'session',
  schema: 'session',
  entities: sessionEntities,
  migrations: [
    { name: 'Migration20261122000500_session', class: Migration20261122000500_session },
    { name: 'Migration20261201001300_session_edits', class: Migration20261201001300_session_edits },
  ],
  async create(ctx) {
    const sessions = new SessionService({
      orm: ctx.orm,
      pubsub: ctx.pubsub,
      pubsubName: ctx.pubsubName,
      directory: new Directory(ctx.invoke),
      ids: ctx.ids,
      logger: ctx.logger,
    });
    const on = <Desc extends DescMessage>(
      topic: Topic<Desc>,
      handle: (event: MessageShape<Desc>) => Promise<unknown>,
    ) => eventSubscription({ pubsubName: ctx.pubsubName, topic, logger: ctx.logger, handle });
    return {
      routes: sessionRoutes(sessions),
      // The conversation list is a projection of the message service's events (at-least-once, unordered).
      subscriptions: [
        // Many at once: one multi-row upsert per batch instead of a transaction per message.
        eventBulkSubscription({
          pubsubName: ctx.pubsubName,
          topic: MessageTopics.created,
          logger: ctx.logger,
          ...CREATED_BATCH,
          handle: (events) => sessions.onMessagesCreated(events),
        }),
        on(MessageTopics.read, (e) => sessions.onMessageRead(e)),
        on(MessageTopics.recalled, (e) => sessions.onMessageRecalled(e)),
        on(MessageTopics.cleared, (e) => sessions.onMessageCleared(e)),
        on(MessageTopics.edited, (e) => sessions.onMessageEdited(e)),
      ],
      internal: sessionInternal(sessions),
    };
  },
};
