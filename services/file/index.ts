import { AccountStatusCodes, AuthTopics } from '../platform/contracts/index.ts';
import { sqlExecutor } from '../platform/db/index.ts';
import { EventPublisher, eventSubscription } from '../platform/events/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { GroupMembership } from './clients/groups.ts';
import { MeetingMembership } from './clients/meetings.ts';
import { FileAccess } from './domain/access.ts';
import { AccountFiles } from './domain/account-files.ts';
import { Avatars } from './domain/avatars.ts';
import { Blobs } from './domain/blobs.ts';
import { Downloads } from './domain/downloads.ts';
import { FileStore } from './domain/file-store.ts';
import { BUCKETS } from './domain/kinds.ts';
import { Lifecycle } from './domain/lifecycle.ts';
import { FileNotices } from './domain/notices.ts';
import { Recordings } from './domain/recordings.ts';
import { Sharing } from './domain/sharing.ts';
import { StorageAdmin } from './domain/storage-stats.ts';
import { Uploads } from './domain/uploads.ts';
import { VideoFrames } from './domain/video.ts';
import { fileExportInternal } from './export-internal.ts';
import { fileInternal } from './internal.ts';
import { fileMetrics } from './metrics.ts';
import { Migration20261130000800_file } from './migrations/Migration20261130000800_file.ts';
import { Migration20261130000810_file_content_hash } from './migrations/Migration20261130000810_file_content_hash.ts';
import { fileRoutes } from './routes.ts';
import { createObjectStore } from './storage/index.ts';

/** Files on object storage (seed §4.7): uploads, signed downloads, dedup. */
export const fileService: ServiceModule = {
  name: 'file',
  schema: 'file',
  entities: [],
  migrations: [
    { name: 'Migration20261130000800_file', class: Migration20261130000800_file },
    { name: 'Migration20261130000810_file_content_hash', class: Migration20261130000810_file_content_hash },
  ],
  async create(ctx) {
    const config = ctx.config.file;
    const { store: objects, rawHandlers } = createObjectStore(config, ctx.publicUrl);
    await objects.ensureBuckets(Object.values(BUCKETS).map((suffix) => `${config.bucketPrefix}${suffix}`));
    const files = new FileStore(sqlExecutor(ctx.orm));
    const groups = new GroupMembership(ctx.invoke);
    const access = new FileAccess(files, groups, new MeetingMembership(ctx.invoke));
    const downloads = new Downloads(files, objects, access, config.urlTtlSeconds);
    const video = await VideoFrames.detect(config.video, ctx.logger);
    const blobs = new Blobs(files, objects, ctx.ids);
    const domain = {
      uploads: new Uploads(files, objects, blobs, ctx.ids, config, groups, video),
      downloads,
      notices: new FileNotices(new EventPublisher(ctx.pubsub, ctx.pubsubName), ctx.logger),
    };
    const lifecycle = new Lifecycle(sqlExecutor(ctx.orm), objects, ctx.logger, config.blobGraceSeconds);
    const sweeper = setInterval(
      () =>
        void lifecycle
          .sweep()
          .catch((error: unknown) => ctx.logger.warn({ err: error }, 'file sweep failed')),
      config.sweepSeconds * 1000,
    );
    sweeper.unref();
    const accountFiles = new AccountFiles(sqlExecutor(ctx.orm), lifecycle);
    return {
      routes: fileRoutes(domain, config, ctx.config.rateLimitFactor),
      metrics: fileMetrics,
      rawHandlers,
      subscriptions: [
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: AuthTopics.accountStatusChanged,
          logger: ctx.logger,
          // A deleted account's uploads are deleted, their bytes removed from storage; idempotent.
          async handle(data) {
            if (data.status === AccountStatusCodes.DELETED) await accountFiles.deleteAll(data.userId);
          },
        }),
      ],
      internal: [
        fileExportInternal(accountFiles),
        ...fileInternal(
          new Sharing(files, downloads),
          new StorageAdmin(sqlExecutor(ctx.orm)),
          new Avatars(files, ctx.publicUrl),
          new Recordings(
            files,
            objects,
            blobs,
            `${config.bucketPrefix}${BUCKETS.chatFiles}`,
            config.userQuotaBytes,
          ),
          ctx.publicUrl,
        ),
      ],
      async stop() {
        clearInterval(sweeper);
      },
    };
  },
};
