import {
  EgressClient,
  type EgressInfo,
  EgressStatus,
  EncodedFileOutput,
  EncodedFileType,
  S3Upload,
  ServerError,
} from 'livekit-server-sdk';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { LiveKitSettings } from '../../platform/rtc-config.ts';

/** The longest a start waits for LiveKit's answer (recordings answer their caller long before: `starting`). */
export const START_TIMEOUT_SECONDS = 40;

/** The S3 bucket (the file service's chat files) LiveKit Egress writes recordings into. */
export interface RecordingTarget {
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
}

/** What a recording learns from an egress event. */
export interface EgressOutcome {
  egressId: string;
  roomName: string;
  /** The object key the egress writes (or wrote) to. */
  key: string | undefined;
  state: 'running' | 'complete' | 'failed';
  durationMs: number | undefined;
  error: string | undefined;
}

/**
 * LiveKit Egress as recordings use it: a room composite of a meeting's room, one MP4 written
 * straight into the file service's bucket. LiveKit hands the job to an Egress worker (Chrome and
 * GStreamer, a deployment of its own); when none takes it the start answers 100114, and a LiveKit
 * that cannot be reached 100110, never a 500.
 */
export class Egress {
  readonly #client: EgressClient;
  readonly #target: RecordingTarget;

  constructor(settings: LiveKitSettings, target: RecordingTarget) {
    // LiveKit looks for a worker for a while before it answers that none took the job (about 22 s
    // for livekit-server 1.13's "no response from servers"): wait for that answer, not the SDK's 10 s.
    this.#client = new EgressClient(settings.apiUrl, settings.apiKey, settings.apiSecret, {
      requestTimeout: START_TIMEOUT_SECONDS,
    });
    this.#target = target;
  }

  /** Starts recording `room` into `key`; answers the egress id. */
  async start(room: string, key: string): Promise<string> {
    const output = new EncodedFileOutput({
      fileType: EncodedFileType.MP4,
      filepath: key,
      disableManifest: true,
      output: {
        case: 's3',
        value: new S3Upload({
          accessKey: this.#target.accessKey,
          secret: this.#target.secretKey,
          region: this.#target.region,
          endpoint: this.#target.endpoint,
          bucket: this.#target.bucket,
          forcePathStyle: true,
        }),
      },
    });
    try {
      const info = await this.#client.startRoomCompositeEgress(room, { file: output }, { layout: 'grid' });
      return info.egressId;
    } catch (error) {
      // LiveKit answered, but no Egress worker took the job (none deployed, none free, or it refused).
      if (error instanceof ServerError)
        throw new AppError(ErrorCode.RECORDER_UNAVAILABLE, {
          detail: `LiveKit Egress: ${error.message}`,
          cause: error,
        });
      throw new AppError(ErrorCode.LIVEKIT_UNAVAILABLE, {
        detail: `LiveKit: ${(error as Error).message}`,
        cause: error,
      });
    }
  }

  /**
   * Asks the egress to finish its file: `stopping` (its egress_ended webhook says how it ended, also
   * when it was ending already), or `gone` when LiveKit does not know it.
   */
  async stop(egressId: string): Promise<'stopping' | 'gone'> {
    try {
      await this.#client.stopEgress(egressId);
      return 'stopping';
    } catch (error) {
      // Unknown, or LiveKit runs with no Egress system at all (no Redis): nothing records there.
      if (
        error instanceof ServerError &&
        (error.status === 404 || /egress not connected/i.test(error.message))
      )
        return 'gone';
      if (error instanceof ServerError && error.status < 500) return 'stopping';
      throw new AppError(ErrorCode.LIVEKIT_UNAVAILABLE, {
        detail: `LiveKit: ${(error as Error).message}`,
        cause: error,
      });
    }
  }
}

/** The egress of a webhook event, as a recording reads it. */
export function outcomeOf(info: EgressInfo): EgressOutcome {
  const file = info.fileResults[0];
  const request = info.request.case === 'roomComposite' ? info.request.value : undefined;
  const requested =
    request?.fileOutputs[0]?.filepath ??
    (request?.output.case === 'file' ? request.output.value.filepath : undefined);
  const complete =
    info.status === EgressStatus.EGRESS_COMPLETE || info.status === EgressStatus.EGRESS_LIMIT_REACHED;
  const failed = info.status === EgressStatus.EGRESS_FAILED || info.status === EgressStatus.EGRESS_ABORTED;
  return {
    egressId: info.egressId,
    roomName: info.roomName,
    key: file?.filename || requested || undefined,
    // An egress that ended with no file has nothing to keep.
    state: complete && file ? 'complete' : failed || complete ? 'failed' : 'running',
    // LiveKit counts in nanoseconds.
    durationMs: file ? Number(file.duration / 1_000_000n) : undefined,
    error: info.error || undefined,
  };
}
