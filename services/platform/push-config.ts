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
  /** FCM HTTP v1: the Firebase service-account key file's JSON (project_id, client_email, private_key, token_uri). Unset: no FCM. */
  PUSH_FCM_SERVICE_ACCOUNT: z.string().optional(),
  /** FCM's API origin. */
  PUSH_FCM_ENDPOINT: z.url().default('https://fcm.googleapis.com'),
  /** APNs token auth: the .p8 key (PKCS #8 PEM), its key id, the team id and the app's bundle id. Unset: no APNs. */
  PUSH_APNS_KEY: z.string().optional(),
  PUSH_APNS_KEY_ID: z.string().optional(),
  PUSH_APNS_TEAM_ID: z.string().optional(),
  PUSH_APNS_TOPIC: z.string().optional(),
  /** APNs origin: production, or https://api.sandbox.push.apple.com for development builds. */
  PUSH_APNS_ENDPOINT: z.url().default('https://api.push.apple.com'),
  /** Providers added by configuration, as JSON: `[{"name": "jpush", "url": "https://relay/...", "token": "..."}]`. */
  PUSH_WEBHOOK_PROVIDERS: z.string().optional(),
  /** Tries of one push (the first and the retries), seed §4.13: 3. */
  PUSH_MAX_ATTEMPTS: int(1, 10).default(3),
  /** Wait before the first retry; each next one waits twice as long. */
  PUSH_RETRY_BASE_MS: int(1, 60_000).default(1000),
  /** Pushes in flight to the providers at once. */
  PUSH_CONCURRENCY: int(1, 1024).default(64),
  /** How long a provider keeps an undelivered push (seconds). */
  PUSH_TTL_SECONDS: int(0, 28 * 86_400).default(86_400),
  /** Days push_logs and push_failures are kept. */
  PUSH_LOG_RETENTION_DAYS: int(1, 3650).default(30),
  /** How often old records are deleted. */
  PUSH_SWEEP_SECONDS: int(1, 86_400).default(3600),
});

const ServiceAccount = z.object({
  project_id: z.string().min(1),
  client_email: z.string().min(1),
  private_key: z.string().includes('PRIVATE KEY'),
  token_uri: z.url().default('https://oauth2.googleapis.com/token'),
});

const Webhooks = z.array(
  z.object({
    name: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'a provider name: lowercase letters, digits, -'),
    url: z.url(),
    token: z.string().optional(),
  }),
);

function parsedJson<T>(what: string, text: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${what}: not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `${what}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

export interface PushConfig {
  vapid: { publicKey: string; privateKey: string } | undefined;
  vapidSubject: string;
  caFile: string | undefined;
  fcm: { serviceAccount: z.infer<typeof ServiceAccount>; endpoint: string } | undefined;
  apns: { key: string; keyId: string; teamId: string; topic: string; endpoint: string } | undefined;
  webhooks: z.infer<typeof Webhooks>;
  maxAttempts: number;
  retryBaseMs: number;
  concurrency: number;
  ttlSeconds: number;
  logRetentionDays: number;
  sweepSeconds: number;
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
  const apnsParts = [e.PUSH_APNS_KEY, e.PUSH_APNS_KEY_ID, e.PUSH_APNS_TEAM_ID, e.PUSH_APNS_TOPIC];
  if (apnsParts.some(Boolean) && !apnsParts.every(Boolean)) {
    throw new Error(
      'PUSH_APNS_KEY, PUSH_APNS_KEY_ID, PUSH_APNS_TEAM_ID and PUSH_APNS_TOPIC are set together',
    );
  }
  const webhooks = e.PUSH_WEBHOOK_PROVIDERS
    ? parsedJson('PUSH_WEBHOOK_PROVIDERS', e.PUSH_WEBHOOK_PROVIDERS, Webhooks)
    : [];
  const builtIn = new Set(['webpush', 'fcm', 'apns']);
  const clash = webhooks.find(
    (hook, index) => builtIn.has(hook.name) || webhooks.findIndex((h) => h.name === hook.name) !== index,
  );
  if (clash) throw new Error(`PUSH_WEBHOOK_PROVIDERS: the name ${clash.name} is taken`);
  return {
    fcm: e.PUSH_FCM_SERVICE_ACCOUNT
      ? {
          serviceAccount: parsedJson('PUSH_FCM_SERVICE_ACCOUNT', e.PUSH_FCM_SERVICE_ACCOUNT, ServiceAccount),
          endpoint: e.PUSH_FCM_ENDPOINT,
        }
      : undefined,
    apns:
      e.PUSH_APNS_KEY && e.PUSH_APNS_KEY_ID && e.PUSH_APNS_TEAM_ID && e.PUSH_APNS_TOPIC
        ? {
            key: e.PUSH_APNS_KEY,
            keyId: e.PUSH_APNS_KEY_ID,
            teamId: e.PUSH_APNS_TEAM_ID,
            topic: e.PUSH_APNS_TOPIC,
            endpoint: e.PUSH_APNS_ENDPOINT,
          }
        : undefined,
    webhooks,
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
    logRetentionDays: e.PUSH_LOG_RETENTION_DAYS,
    sweepSeconds: e.PUSH_SWEEP_SECONDS,
  };
}
