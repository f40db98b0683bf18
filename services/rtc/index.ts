import { sqlExecutor } from '../platform/db/index.ts';
import { Outbox } from '../platform/outbox.ts';
import type { ServiceModule } from '../platform/service.ts';
import { Directory } from './clients/directory.ts';
import { RecordingFiles } from './clients/files.ts';
import { CallSettlement, Calls, LiveKit, Meetings, Recordings, RtcStatistics } from './domain/index.ts';
import { egressOf } from './egress-settings.ts';
import { rtcInternal } from './internal.ts';
import { meetingRoutes } from './meeting-routes.ts';
import { rtcMetrics } from './metrics.ts';
import { Migration20261130001400_rtc } from './migrations/Migration20261130001400_rtc.ts';
import { Migration20261130001410_meetings } from './migrations/Migration20261130001410_meetings.ts';
import { Migration20261201001400_meeting_recordings } from './migrations/Migration20261201001400_meeting_recordings.ts';
import { Migration20261201001500_recording_error_code } from './migrations/Migration20261201001500_recording_error_code.ts';
import { Migration20261201001800_calls_active } from './migrations/Migration20261201001800_calls_active.ts';
import { recordingRoutes } from './recording-routes.ts';
import { rtcRoutes } from './routes.ts';
import { webhookHandler } from './webhook.ts';

const OUTBOX_SWEEP_MS = 15_000;

/**
 * The rtc service (seed §4.10): calls on LiveKit. Rooms, tokens and webhooks go through
 * livekit-server-sdk; invitations and call state reach devices as timeline notifications (online
 * at once, offline by push and on sync); every call leaves a record message in its conversation.
 * Without LiveKit settings the service runs and its routes answer 100111.
 */
export const rtcService: ServiceModule = {
  name: 'rtc',
  schema: 'rtc',
  entities: [],
  migrations: [
    { name: 'Migration20261130001400_rtc', class: Migration20261130001400_rtc },
    { name: 'Migration20261130001410_meetings', class: Migration20261130001410_meetings },
    {
      name: 'Migration20261201001400_meeting_recordings',
      class: Migration20261201001400_meeting_recordings,
    },
    {
      name: 'Migration20261201001500_recording_error_code',
      class: Migration20261201001500_recording_error_code,
    },
    { name: 'Migration20261201001800_calls_active', class: Migration20261201001800_calls_active },
  ],
  async create(ctx) {
    const sql = sqlExecutor(ctx.orm);
    const settings = ctx.config.rtc;
    const outbox = new Outbox({
      sql,
      schema: 'rtc',
      pubsub: ctx.pubsub,
      pubsubName: ctx.pubsubName,
      ids: ctx.ids,
      logger: ctx.logger,
    });
    const livekit = settings.livekit ? new LiveKit(settings.livekit) : undefined;
    if (!livekit)
      ctx.logger.info('calls are off: LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET are not set');
    const directory = new Directory(ctx.invoke);
    const calls = new Calls({
      sql,
      outbox,
      ids: ctx.ids,
      directory,
      livekit,
      settings,
      allowStrangers: ctx.config.message.allowStrangers,
      // Called only after a committed change, once `settlement` below exists.
      ended: (callId) => settlement.settle(callId),
    });
    const settlement = new CallSettlement({ sql, calls, directory, livekit, logger: ctx.logger });
    outbox.start(OUTBOX_SWEEP_MS);
    let sweeping: Promise<void> | undefined;
    const sweeper = setInterval(() => {
      sweeping ??= settlement
        .sweep()
        .catch((error: unknown) => ctx.logger.warn({ err: error }, 'call sweep failed'))
        .finally(() => {
          sweeping = undefined;
        });
    }, settings.sweepSeconds * 1000);
    sweeper.unref();
    const meetings = new Meetings({ sql, ids: ctx.ids, directory, livekit, settings });
    const recordings = new Recordings({
      sql,
      ids: ctx.ids,
      meetings,
      egress: egressOf(settings, ctx.config.file, ctx.logger),
      files: new RecordingFiles(ctx.invoke),
      logger: ctx.logger,
    });
    return {
      routes: [
        ...rtcRoutes(calls, ctx.config.rateLimitFactor),
        ...meetingRoutes(meetings, ctx.config.rateLimitFactor),
        ...recordingRoutes(
          recordings,
          ctx.state.store(ctx.config.dapr.stateStoreName),
          ctx.config.rateLimitFactor,
        ),
      ],
      rawHandlers: [webhookHandler(calls, meetings, recordings, livekit)],
      subscriptions: [],
      internal: rtcInternal(meetings, new RtcStatistics(sql)),
      metrics: rtcMetrics(sql),
      async stop() {
        clearInterval(sweeper);
        await sweeping;
        await settlement.settled();
        await recordings.settled();
        await outbox.stop();
      },
    };
  },
};
