import type { FileConfig } from '../platform/file-config.ts';
import type { Logger } from '../platform/logger.ts';
import type { RtcConfig } from '../platform/rtc-config.ts';
import { Egress } from './domain/egress.ts';

/** The file service's bucket of chat files (services/file/domain/kinds.ts BUCKETS.chatFiles). */
const CHAT_FILES_BUCKET = 'chat-files';

/**
 * LiveKit Egress when recording is on (LIVEKIT_EGRESS=enabled): it writes into the file service's
 * S3 store, so a local file store (the embedded default) cannot take recordings, and the routes
 * then answer 100113 as if Egress were off; the log says why.
 */
export function egressOf(settings: RtcConfig, files: FileConfig, logger: Logger): Egress | undefined {
  if (!settings.egress.enabled || !settings.livekit) return undefined;
  if (files.storage.type !== 's3') {
    logger.warn('recording is off: LIVEKIT_EGRESS=enabled needs FILE_STORAGE=s3 (Egress writes to S3)');
    return undefined;
  }
  return new Egress(settings.livekit, {
    endpoint: settings.egress.s3Endpoint ?? files.storage.endpoint.origin,
    region: files.storage.region,
    accessKey: files.storage.accessKey,
    secretKey: files.storage.secretKey,
    bucket: `${files.bucketPrefix}${CHAT_FILES_BUCKET}`,
  });
}
