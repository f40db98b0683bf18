import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const wsOrHttp = z.url().regex(/^(wss?|https?):\/\//, 'must be a ws(s):// or http(s):// URL');

/**
 * Settings of the rtc service (LIVEKIT_*, RTC_*). The API secret comes from a Secret in a cluster and
 * is never logged. Without LiveKit (no URL, key and secret), the call routes answer 100111.
 */
const RtcEnvSchema = z.object({
  /** The LiveKit server clients connect to (`wss://…`), given to them with each token. Unset: calls are off. */
  LIVEKIT_URL: wsOrHttp.optional(),
  /** Where the rtc service reaches LiveKit's server API, when not at LIVEKIT_URL (a cluster-internal address). */
  LIVEKIT_API_URL: wsOrHttp.optional(),
  /** The API key the rtc service signs tokens and server API calls with, and LiveKit signs webhooks with. */
  LIVEKIT_API_KEY: z.string().min(1).max(200).optional(),
  /** The key's secret (from a Secret). */
  LIVEKIT_API_SECRET: z.string().min(1).max(500).optional(),
  /** Seconds a call rings before it is a missed call. */
  RTC_RING_TIMEOUT_SECONDS: int(5, 600).default(60),
  /** Lifetime of the LiveKit tokens the call routes issue (seconds). */
  RTC_TOKEN_TTL_SECONDS: int(60, 86_400).default(3600),
  /** How often unanswered calls past their time and unfinished call records are looked for. */
  RTC_SWEEP_SECONDS: int(1, 3600).default(2),
  /** Members a group call rings at most (the caller included). */
  RTC_GROUP_CALL_MAX_PARTICIPANTS: int(2, 100).default(16),
  /**
   * `enabled`: LiveKit has Egress workers, and meetings may be recorded into the file service's S3
   * store (FILE_STORAGE=s3). Otherwise recording routes answer 100113.
   */
  LIVEKIT_EGRESS: z.enum(['enabled', 'disabled']).default('disabled'),
  /** The S3 endpoint as the Egress workers reach it, when not at FILE_S3_ENDPOINT. */
  LIVEKIT_EGRESS_S3_ENDPOINT: z.url().optional(),
});

export interface LiveKitSettings {
  url: string;
  apiUrl: string;
  apiKey: string;
  apiSecret: string;
}

export interface RtcConfig {
  /** Undefined when calls are not configured. */
  livekit: LiveKitSettings | undefined;
  ringTimeoutSeconds: number;
  tokenTtlSeconds: number;
  sweepSeconds: number;
  groupCallMaxParticipants: number;
  /** LiveKit Egress is deployed (recording needs the file service's S3 store too). */
  egress: { enabled: boolean; s3Endpoint: string | undefined };
}

/** The rtc settings of `env` (empty strings already removed); throws naming what is wrong. */
export function loadRtcConfig(env: Record<string, string | undefined>): RtcConfig {
  const parsed = RtcEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  }
  const e = parsed.data;
  const parts = [e.LIVEKIT_URL, e.LIVEKIT_API_KEY, e.LIVEKIT_API_SECRET];
  if (parts.some(Boolean) && !parts.every(Boolean))
    throw new Error('LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET are set together');
  return {
    livekit:
      e.LIVEKIT_URL && e.LIVEKIT_API_KEY && e.LIVEKIT_API_SECRET
        ? {
            url: e.LIVEKIT_URL,
            apiUrl: e.LIVEKIT_API_URL ?? e.LIVEKIT_URL,
            apiKey: e.LIVEKIT_API_KEY,
            apiSecret: e.LIVEKIT_API_SECRET,
          }
        : undefined,
    ringTimeoutSeconds: e.RTC_RING_TIMEOUT_SECONDS,
    tokenTtlSeconds: e.RTC_TOKEN_TTL_SECONDS,
    sweepSeconds: e.RTC_SWEEP_SECONDS,
    groupCallMaxParticipants: e.RTC_GROUP_CALL_MAX_PARTICIPANTS,
    egress: { enabled: e.LIVEKIT_EGRESS === 'enabled', s3Endpoint: e.LIVEKIT_EGRESS_S3_ENDPOINT },
  };
}
