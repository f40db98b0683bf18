import type { Config } from '../platform/config.ts';
import type { SqlExecutor } from '../platform/db/index.ts';
import type { SnowflakeGenerator } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import type { Outbox } from '../platform/outbox.ts';
import type { GroupDirectory } from './clients/groups.ts';
import type { ProfileCache } from './clients/profiles.ts';
import type { ContentValidator } from './domain/content.ts';
import { DraftStore, Drafts } from './domain/drafts.ts';
import { Forwarding } from './domain/forward.ts';
import { LinkPreviews } from './domain/link-preview/index.ts';
import type { MessageService } from './domain/message-service.ts';
import { ScheduledMessages } from './domain/scheduled.ts';
import { ScheduledStore } from './domain/scheduled-store.ts';
import type { MessageStore } from './domain/store.ts';
import { TimelinePush } from './domain/timeline-push.ts';
import { TimerStore } from './domain/timer-store.ts';
import { SelfDestruct } from './domain/timers.ts';
import { featureRoutes } from './feature-routes.ts';

/** Redirects a link preview follows at most. */
const PREVIEW_MAX_REDIRECTS = 3;

export interface FeatureDeps {
  sql: SqlExecutor;
  store: MessageStore;
  outbox: Outbox;
  messages: MessageService;
  content: ContentValidator;
  groups: GroupDirectory;
  profiles: ProfileCache;
  ids: SnowflakeGenerator;
  logger: Logger;
  config: Config;
}

/**
 * Forwarding, self-destructing and scheduled messages, drafts and link previews: their routes,
 * and the sweep that sends due scheduled messages and removes self-destructing ones whose time is
 * up. The sweep reads the database each time, so what was due while no instance ran is done at the
 * next start; every instance may sweep (claims and removals are each made once).
 */
export function messageFeatures(deps: FeatureDeps) {
  const { sql, store, messages, groups, logger, config } = deps;
  const push = new TimelinePush(store, messages);
  const selfDestruct = new SelfDestruct({
    store: new TimerStore(sql, deps.outbox),
    messages,
    push,
    groups,
    outbox: deps.outbox,
    logger,
  });
  const scheduled = new ScheduledMessages({
    store: new ScheduledStore(sql),
    messages,
    content: deps.content,
    groups,
    push,
    ids: deps.ids,
    logger,
  });
  const features = {
    forwarding: new Forwarding(messages, selfDestruct, deps.profiles),
    selfDestruct,
    scheduled,
    drafts: new Drafts(new DraftStore(sql), messages, push, deps.ids),
    linkPreviews: new LinkPreviews({ ...config.message.linkPreview, maxRedirects: PREVIEW_MAX_REDIRECTS }),
  };

  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  const sweep = async () => {
    try {
      await scheduled.sweep();
      await selfDestruct.sweep();
    } catch (error) {
      logger.warn({ err: error }, 'scheduled and self-destructing messages sweep failed; retried');
    }
  };
  return {
    routes: featureRoutes(features, config.message.maxTextLength, config.rateLimitFactor),
    /** What SendMessage calls for a timed message (the gateway's SEND_MESSAGE with selfDestruct). */
    selfDestruct,
    start() {
      timer = setInterval(() => {
        sweeping ??= sweep().finally(() => {
          sweeping = undefined;
        });
      }, config.message.timerSweepMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await sweeping;
    },
  };
}
