import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Settings of the push service (PUSH_*). Credentials (the VAPID private key, FCM's service
 * account, the APNs .p8 key, webhook tokens) come from Secrets in a cluster; none is ever logged.
 */
const PushEnvSchema = z.object({
  /** VAPID key pair (RFC 8292, base64url, as `web-push generate-vapid-keys` prints it). Unset: generated once and kept in the push schema. */
  PUSH_VAPID_PUBLIC_KEY: z.string().optional(),
  PUSH_VAPID_PRIVATE_KEY: z.string().optional(),
  /** Who push services contact about this sender (`mailto:` or `https:`). */
  PUSH_VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:\/\/)/, 'must be a mailto: or https: URL')
    .default('mailto:push@anychat.invalid'),
  /** PEM file of extra certificate authorities trusted for provider endpoints (a corporate proxy's, a test's own push service). */
  PUSH_CA_FILE: z.string().optional(),
  /** Tries of one push (the first and the retries), seed §4.13: 3. */
  PUSH_MAX_ATTEMPTS: int(1, 10).default(3),
  /** Wait before the first retry; each next one waits twice as long. */
  PUSH_RETRY_BASE_MS: int(1, 60_000).default(1000),
  /** Pushes in flight to the providers at once. */
  PUSH_CONCURRENCY: int(1, 1024).default(64),
  /** How long a provider keeps an undelivered push (seconds). */
  PUSH_TTL_SECONDS: int(0, 28 * 86_400).default(86_400),
});

export interface PushConfig {
  vapid: { publicKey: string; privateKey: string } | undefined;
  vapidSubject: string;
  caFile: string | undefined;
  maxAttempts: number;
  retryBaseMs: number;
  concurrency: number;
  ttlSeconds: number;
}

/** The push settings of `env` (empty strings already removed); throws naming what is wrong. */
export function loadPushConfig(env: Record<string, string | undefined>): PushConfig {
  const parsed = PushEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  }
  const e = parsed.data;
  if (Boolean(e.PUSH_VAPID_PUBLIC_KEY) !== Boolean(e.PUSH_VAPID_PRIVATE_KEY)) {
    throw new Error('PUSH_VAPID_PUBLIC_KEY and PUSH_VAPID_PRIVATE_KEY are set together');
  }
  return {
    vapid:
      e.PUSH_VAPID_PUBLIC_KEY && e.PUSH_VAPID_PRIVATE_KEY
        ? { publicKey: e.PUSH_VAPID_PUBLIC_KEY, privateKey: e.PUSH_VAPID_PRIVATE_KEY }
        : undefined,
    vapidSubject: e.PUSH_VAPID_SUBJECT,
    caFile: e.PUSH_CA_FILE,
    maxAttempts: e.PUSH_MAX_ATTEMPTS,
    retryBaseMs: e.PUSH_RETRY_BASE_MS,
    concurrency: e.PUSH_CONCURRENCY,
    ttlSeconds: e.PUSH_TTL_SECONDS,
  };
}
