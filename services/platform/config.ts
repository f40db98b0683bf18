/**
 * Typed configuration from the environment (12-factor). Every key, its default and meaning is listed
 * here once; README's configuration reference mirrors this table.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { type TracingConfig, tracingConfigOf, tracingEnvShape } from '../../common/tracing-config.ts';
import { GROUP_MEMBERS_CEILING } from './contracts/group.ts';
import { type FileConfig, loadFileConfig } from './file-config.ts';
import { parseTrustedProxies, type TrustedProxies } from './http/client-address.ts';
import { loadOidcProviders, type OidcProviderConfig } from './oidc-config.ts';
import { loadPushConfig, type PushConfig } from './push-config.ts';
import { loadRtcConfig, type RtcConfig } from './rtc-config.ts';
import { type FieldKey, parseFieldKeys } from './security/field-cipher.ts';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const EnvSchema = z.object({
  /** `all` runs every service in one process (embedded); otherwise a comma list of service names. */
  SERVICES: z.string().default('all'),
  /** `embedded` (in-process state/pub-sub/invoke) or `dapr` (sidecar). Default: embedded for `all`, dapr otherwise. */
  ANYCHAT_ADAPTER: z.enum(['embedded', 'dapr']).optional(),
  HOST: z.string().default('0.0.0.0'),
  /** HTTP (and WebSocket) port. Unset: 8080, or any free port when 8080 is taken. 0: any free port. */
  PORT: int(0, 65535).optional(),
  /** PostgreSQL URL. Unset: embedded PGlite with its data in ANYCHAT_DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  ANYCHAT_DATA_DIR: z.string().default('.data'),
  DATABASE_POOL_MAX: int(1, 200).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Snowflake worker id (0–1023). Unset: derived from the host name. */
  WORKER_ID: int(0, 1023).optional(),
  HTTP_BODY_LIMIT_KB: int(1, 10_240).default(64),
  SHUTDOWN_TIMEOUT_MS: int(0, 120_000).default(10_000),
  /** Multiplies every per-address request limit (register, login, codes); raise it behind a shared NAT. */
  RATE_LIMIT_FACTOR: z.coerce.number().min(0.01).max(10_000).default(1),
  /**
   * Proxies whose `X-Forwarded-For` names the client (per-address limits, audit log, devices' last
   * address): a comma list of addresses and CIDR ranges (also `loopback`, `linklocal`, `uniquelocal`),
   * or a number of proxy hops. Unset: none, the TCP peer is the client (the embedded default).
   */
  TRUSTED_PROXIES: z.string().optional(),
  /** Port serving Prometheus `/metrics` (never the API port). Unset: metrics are not served; 0: any free port. */
  METRICS_PORT: int(0, 65535).optional(),
  /** OpenTelemetry tracing: OTEL_EXPORTER_OTLP_ENDPOINT (set: on), OTEL_TRACES_SAMPLER_ARG, OTEL_SERVICE_NAME (common/tracing-config.ts). */
  ...tracingEnvShape,

  DAPR_HOST: z.string().default('127.0.0.1'),
  DAPR_HTTP_PORT: int(1, 65535).default(3500),
  DAPR_GRPC_PORT: int(1, 65535).default(50001),
  /** Token the sidecar sends to the app (Dapr `APP_API_TOKEN`); inbound Dapr calls without it are refused. */
  APP_API_TOKEN: z.string().optional(),
  /** Token the app sends to the sidecar (Dapr `DAPR_API_TOKEN`). */
  DAPR_API_TOKEN: z.string().optional(),
  PUBSUB_NAME: z.string().default('pubsub'),
  STATE_STORE_NAME: z.string().default('statestore'),
  /** A state store shared by all apps (Dapr component with keyPrefix none): token revocations, presence. */
  SHARED_STATE_STORE_NAME: z.string().default('sharedstate'),
  /** Seconds a Dapr-mode service waits for its sidecar at start before giving up. */
  DAPR_STARTUP_TIMEOUT_SECONDS: int(1, 600).default(60),
  /** Failed deliveries of one event before a subscriber drops it as poison (logged, counted in /metrics); equal to the Dapr Resiliency's retries + 1. */
  PUBSUB_MAX_DELIVERY_ATTEMPTS: int(1, 1000).default(10),

  AUTH_ISSUER: z.string().default('anychat'),
  /** ES256 private key (a JWK with `kid`) that signs access tokens; the operator provides it from a Secret. Unset: the first auth replica generates one and keeps it in the auth schema. */
  AUTH_SIGNING_KEY: z.string().optional(),
  /** Keys sealing TOTP secrets (AES-256-GCM): `id:base64(32 bytes)[,id:key...]`, the first sealing, the others still read (rotation); from a Secret. Unset: one generated on first start and kept in the service's schema. */
  TOTP_ENCRYPTION_KEYS: z.string().optional(),
  AUTH_ACCESS_TOKEN_TTL_SECONDS: int(60, 86_400).default(7200),
  AUTH_REFRESH_TOKEN_TTL_SECONDS: int(300, 90 * 86_400).default(7 * 86_400),
  /** `per-device-type` (one session per device type), `single` (one session), `multi` (no limit). */
  AUTH_MULTI_DEVICE_POLICY: z.enum(['per-device-type', 'single', 'multi']).default('per-device-type'),
  /** Maximum concurrently logged-in devices under the `multi` policy. */
  AUTH_MAX_DEVICES: int(1, 100).default(10),
  /** Failed logins of one account from one address (or one known device) before it backs off; × 4 per address across accounts. */
  AUTH_LOGIN_MAX_FAILURES: int(1, 1000).default(5),
  /** Longest login backoff wait; failure tallies left alone this long are forgotten. */
  AUTH_LOGIN_LOCK_SECONDS: int(1, 86_400).default(900),
  /** First login backoff wait past the free failures; it doubles with each further failure, up to AUTH_LOGIN_LOCK_SECONDS. */
  AUTH_LOGIN_BACKOFF_SECONDS: int(1, 86_400).default(30),
  /** Failed logins of one account from all addresses before only its known devices sign in without backoff; 0: no ceiling. */
  AUTH_LOGIN_ACCOUNT_MAX_FAILURES: int(0, 1_000_000).default(50),
  /** Lifetime of a device token (proof that a device signed in before; renewed at each sign-in). */
  AUTH_DEVICE_TOKEN_TTL_SECONDS: int(3600, 730 * 86_400).default(180 * 86_400),
  /** Verification code sender: a webhook (SMS/e-mail gateway) receiving {channel, target, code, purpose}. Unset: none. */
  AUTH_CODE_WEBHOOK_URL: z.string().url().optional(),
  AUTH_CODE_TTL_SECONDS: int(60, 3600).default(300),
  /** Seconds between a user's request to delete their account and its deletion (signing in cancels it); 0: at once. */
  ACCOUNT_DELETION_GRACE_SECONDS: int(0, 365 * 86_400).default(7 * 86_400),
  /** Minimum seconds between two codes sent to the same target. */
  AUTH_CODE_RESEND_SECONDS: int(0, 3600).default(60),
  /** Most codes sent to one phone number or e-mail address per hour (besides the per-address limit). */
  AUTH_CODE_TARGET_HOURLY_LIMIT: int(1, 1000).default(10),
  /** SMTP server that sends codes and sign-in alerts by e-mail. Unset: e-mail goes to the webhook, if any. */
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: int(1, 65535).default(587),
  /** `starttls` (required upgrade), `implicit` (TLS from the first byte, port 465) or `none` (plain; a relay on loopback only). */
  SMTP_TLS: z.enum(['starttls', 'implicit', 'none']).default('starttls'),
  SMTP_USER: z.string().optional(),
  /** The SMTP password; the operator provides it from a Secret. */
  SMTP_PASSWORD: z.string().optional(),
  /** Sender of the mails, e.g. `AnyChat <no-reply@example.com>`. */
  SMTP_FROM: z.string().default('AnyChat <no-reply@localhost>'),
  /** Generic HTTP SMS provider: POST `{to, text}` as JSON. Unset: SMS goes to the webhook, if any. */
  SMS_HTTP_URL: z.string().url().optional(),
  /** Bearer token sent to the SMS provider; the operator provides it from a Secret. */
  SMS_HTTP_TOKEN: z.string().optional(),
  /** OpenID Providers to sign in with: a JSON array (README "Single sign-on"); secrets in OIDC_CLIENT_SECRET_<ID>. */
  OIDC_PROVIDERS: z.string().optional(),
  /** Where providers send the browser back (the web client's page). Unset: <PUBLIC_URL>/oidc/callback. */
  OIDC_REDIRECT_URI: z.string().url().optional(),
  USER_QRCODE_TTL_SECONDS: int(60, 30 * 86_400).default(86_400),
  /** Comma list of words a nickname may not contain (impersonation of staff and system accounts). */
  USER_NICKNAME_BLOCKLIST: z.string().default('anychat official,官方客服,系统通知'),
  /** Most friends one user may have (both sides are checked when a friendship is made). */
  FRIEND_MAX_FRIENDS: int(1, 100_000).default(3000),
  /** Most users one user may have on their blacklist. */
  FRIEND_MAX_BLACKLIST: int(1, 100_000).default(1000),
  /** A pending friend request not answered within this many seconds shows as expired. */
  FRIEND_REQUEST_TTL_SECONDS: int(1, 365 * 86_400).default(7 * 86_400),
  /** A user may send one friend request to the same person per this many seconds. */
  FRIEND_REQUEST_RESEND_SECONDS: int(0, 30 * 86_400).default(86_400),
  /** Most members of one group, the owner included. */
  GROUP_MAX_MEMBERS: int(3, GROUP_MEMBERS_CEILING).default(500),
  /** Lifetime of a group QR code; an expired one answers 40117. */
  GROUP_QRCODE_TTL_SECONDS: int(1, 365 * 86_400).default(7 * 86_400),
  /** A group invitation not accepted within this many seconds lapses. */
  GROUP_INVITATION_TTL_SECONDS: int(1, 365 * 86_400).default(7 * 86_400),
  /** Seconds between client PINGs announced in CONNECT_ACK; a connection silent for 3× this is closed. */
  GATEWAY_HEARTBEAT_SECONDS: int(5, 300).default(30),
  /** Lifetime of a gateway instance's presence entries; its sweep refreshes them every heartbeat interval. */
  GATEWAY_PRESENCE_TTL_SECONDS: int(10, 3600).default(90),
  /** Largest accepted WebSocket frame (bytes); a bigger one gets an ERROR frame. */
  GATEWAY_MAX_FRAME_BYTES: int(1024, 4 * 1024 * 1024).default(64 * 1024),
  /** Frames a connection may send per second (burst: twice this). */
  GATEWAY_FRAMES_PER_SECOND: int(1, 10_000).default(50),
  /** Bytes queued for a client before it is considered too slow and disconnected. */
  GATEWAY_MAX_BUFFERED_BYTES: int(64 * 1024, 256 * 1024 * 1024).default(4 * 1024 * 1024),
  /** How often open sockets are checked against revoked sessions (a FORCE_LOGOUT event lost on the way). */
  GATEWAY_REVALIDATE_SECONDS: int(1, 3600).default(60),
  /** A draining gateway asks each client to wait a random 0..this many ms before reconnecting (no stampede on the others). */
  GATEWAY_RECONNECT_JITTER_MS: int(0, 600_000).default(5000),
  /** A device whose socket drops stays in the presence registry this long (ms) before it is taken out and its user may go offline; back within it (a reconnect storm, a network blip), nothing is written or announced. 0: at once. */
  GATEWAY_OFFLINE_GRACE_MS: int(0, 60_000).default(2000),
  /** Seconds between a gateway instance's reports of its open connections to the shared state (admin dashboards); connects and disconnects also report, at most once a second. */
  GATEWAY_REPORT_INTERVAL_SECONDS: int(1, 3600).default(10),
  /** Per-message deflate (RFC 7692) of WebSocket frames over 1 KB, for clients that offer it (seed §5.4.6). */
  GATEWAY_COMPRESSION: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Gateway instance id (its delivery topic); unset: generated per process. */
  GATEWAY_INSTANCE_ID: z
    .string()
    .regex(/^[a-zA-Z0-9-]{1,64}$/)
    .optional(),
  /** Longest text message, in characters. */
  MESSAGE_MAX_TEXT_LENGTH: int(1, 100_000).default(5000),
  /** Window in which the sender may recall a message. */
  MESSAGE_RECALL_WINDOW_SECONDS: int(0, 86_400).default(120),
  /** Window in which the sender may edit a message (0: never). */
  MESSAGE_EDIT_WINDOW_SECONDS: int(0, 2_592_000).default(172_800),
  /** Allow one-to-one messages between users who are not friends. */
  MESSAGE_ALLOW_STRANGERS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Group commit: most concurrent sends stored in one transaction (1: each alone). */
  MESSAGE_SEND_BATCH_SIZE: int(1, 1000).default(128),
  /** Group commit: how long the first send of a batch waits for more, in microseconds. */
  MESSAGE_SEND_BATCH_WAIT_MICROS: int(0, 999).default(200),
  /**
   * Groups of at least this many members are read fan-out: a message is stored once and members
   * read it by the group's seq, instead of a timeline row and syncSeq per member (DESIGN §6).
   */
  MESSAGE_GROUP_READ_FANOUT_MIN_MEMBERS: int(2, GROUP_MEMBERS_CEILING).default(100),
  /** Months of message partitions created ahead of the current one. */
  MESSAGE_PARTITION_MONTHS_AHEAD: int(1, 24).default(3),
  /** Months of messages kept (current month included); unset: kept forever. */
  MESSAGE_RETENTION_MONTHS: int(1, 1200).optional(),
  /** What happens to partitions past the retention: `detach` (kept as tables) or `drop` (deleted). */
  MESSAGE_EXPIRED_PARTITIONS: z.enum(['detach', 'drop']).default('detach'),
  /** `service`: the message service keeps partitions (at start and daily); `operator`: the Kubernetes operator does. */
  MESSAGE_PARTITIONS_MANAGED_BY: z.enum(['service', 'operator']).default('service'),
  /** How often due scheduled messages are sent and self-destructing messages whose time is up are removed, in ms. */
  MESSAGE_TIMER_SWEEP_MS: int(100, 60_000).default(1000),
  /** Link previews may fetch pages at private, loopback and link-local addresses (sites on the deployment's own network); otherwise public addresses only. */
  LINK_PREVIEW_ALLOW_PRIVATE_ADDRESSES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Longest a link preview's fetch may take, redirects included, in ms. */
  LINK_PREVIEW_TIMEOUT_MS: int(100, 60_000).default(5000),
  /** Bytes of a page read for its preview at most (its head holds the meta tags). */
  LINK_PREVIEW_MAX_BYTES: int(1024, 10 * 1024 * 1024).default(512 * 1024),
  /** Outgoing webhooks may be registered at and delivered to private, loopback and link-local addresses (receivers on the deployment's own network); otherwise public addresses only. */
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Longest an outgoing webhook's receiver may take to answer one delivery, in ms; slower counts as a failure (retried). */
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(5000),
  /** Deliveries one outgoing webhook gets per minute (per message service instance); more wait for a later retry. */
  WEBHOOK_DELIVERIES_PER_MINUTE: int(1, 100_000).default(600),
  /** How long a service keeps the admin's sensitive-word policy (shared state) before reading it again; 0: read it for every check. */
  SENSITIVE_WORDS_REFRESH_MS: int(0, 3_600_000).default(5000),
  /** Lifetime of an admin token (imctl login); an expired one answers 10105 and imctl asks to log in again. */
  ADMIN_TOKEN_TTL_SECONDS: int(60, 30 * 86_400).default(12 * 3600),
  /** How often timed bans that ran out are lifted, and unfinished broadcasts resumed. */
  ADMIN_SWEEP_SECONDS: int(1, 3600).default(30),
  /** `required`: every administrator signs in with TOTP (enrolled at the first login); `optional`: only those enrolled. */
  ADMIN_SECOND_FACTOR: z.enum(['required', 'optional']).default('required'),
  /** Public base URL used in links (QR code URLs). Unset: http://localhost:<port>. */
  PUBLIC_URL: z.string().url().optional(),
  /**
   * Serve the web client at `/` (unset: only the embedded platform does). The operator turns it on
   * for the gateways, where the Ingress sends every path the REST API and WebSocket do not take.
   */
  WEB_CLIENT: z.enum(['true', 'false']).optional(),
  /**
   * The platform's language: a new account's language setting (its pushes, mails and screens), and the
   * web client's on a browser that speaks neither English nor Chinese, before anyone signs in.
   */
  DEFAULT_LANGUAGE: z.enum(['en', 'zh-CN']).default('en'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  services: 'all' | string[];
  adapter: 'embedded' | 'dapr';
  host: string;
  port: number | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
  databasePoolMax: number;
  logLevel: Env['LOG_LEVEL'];
  workerId: number;
  httpBodyLimitKb: number;
  shutdownTimeoutMs: number;
  rateLimitFactor: number;
  trustedProxies: TrustedProxies;
  metricsPort: number | undefined;
  /** Where and how much this process traces; `endpoint` undefined: off. */
  tracing: TracingConfig;
  publicUrl: string | undefined;
  webClient: boolean;
  defaultLanguage: 'en' | 'zh-CN';
  production: boolean;
  dapr: {
    host: string;
    httpPort: number;
    grpcPort: number;
    appApiToken: string | undefined;
    daprApiToken: string | undefined;
    pubsubName: string;
    stateStoreName: string;
    sharedStateStoreName: string;
    startupTimeoutSeconds: number;
    maxDeliveryAttempts: number;
  };
  auth: {
    issuer: string;
    signingKey: string | undefined;
    totpKeys: FieldKey[] | undefined;
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    multiDevicePolicy: Env['AUTH_MULTI_DEVICE_POLICY'];
    maxDevices: number;
    /** Login throttle (also used for admin logins). */
    login: {
      maxFailures: number;
      backoffSeconds: number;
      maxBackoffSeconds: number;
      accountMaxFailures: number;
      addressMaxFailures: number;
    };
    deviceTokenTtlSeconds: number;
    deletionGraceSeconds: number;
    codeWebhookUrl: string | undefined;
    codeTtlSeconds: number;
    codeResendSeconds: number;
    codeTargetHourlyLimit: number;
    smtp:
      | {
          host: string;
          port: number;
          tls: Env['SMTP_TLS'];
          user: string | undefined;
          password: string | undefined;
          from: string;
        }
      | undefined;
    sms: { url: string; token: string | undefined } | undefined;
    oidc: { providers: OidcProviderConfig[]; redirectUri: string | undefined };
  };
  user: { qrcodeTtlSeconds: number; nicknameBlocklist: string[] };
  friend: {
    maxFriends: number;
    maxBlacklist: number;
    requestTtlSeconds: number;
    requestResendSeconds: number;
  };
  group: { maxMembers: number; qrcodeTtlSeconds: number; invitationTtlSeconds: number };
  gateway: {
    heartbeatSeconds: number;
    presenceTtlSeconds: number;
    maxFrameBytes: number;
    framesPerSecond: number;
    maxBufferedBytes: number;
    revalidateSeconds: number;
    instanceId: string | undefined;
    reconnectJitterMs: number;
    offlineGraceMs: number;
    reportIntervalSeconds: number;
    compression: boolean;
  };
  message: {
    maxTextLength: number;
    sendBatchSize: number;
    sendBatchWaitMicros: number;
    groupReadFanoutMinMembers: number;
    recallWindowSeconds: number;
    editWindowSeconds: number;
    allowStrangers: boolean;
    partitionMonthsAhead: number;
    retentionMonths: number | undefined;
    expiredPartitions: 'detach' | 'drop';
    partitionsManagedBy: 'service' | 'operator';
    timerSweepMs: number;
    linkPreview: { allowPrivate: boolean; timeoutMs: number; maxBytes: number };
    outgoingWebhooks: { allowPrivate: boolean; timeoutMs: number; perMinute: number };
  };
  moderation: { sensitiveWordsRefreshMs: number };
  admin: { tokenTtlSeconds: number; sweepSeconds: number; secondFactor: Env['ADMIN_SECOND_FACTOR'] };
  push: PushConfig;
  file: FileConfig;
  rtc: RtcConfig;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function workerIdFromHostname(): number {
  let hash = 0;
  for (const char of hostname()) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % 1024;
}

function totpKeysOf(text: string): FieldKey[] {
  try {
    return parseFieldKeys(text);
  } catch (error) {
    // The message names the rule broken, never the keys.
    throw new ConfigError(`invalid configuration: TOTP_ENCRYPTION_KEYS: ${(error as Error).message}`);
  }
}

function fileConfigOf(env: Record<string, string | undefined>, dataDir: string): FileConfig {
  try {
    return loadFileConfig(env, dataDir);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${(error as Error).message}`);
  }
}

function pushConfigOf(env: Record<string, string | undefined>): PushConfig {
  try {
    return loadPushConfig(env);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${(error as Error).message}`);
  }
}

function rtcConfigOf(env: Record<string, string | undefined>): RtcConfig {
  try {
    return loadRtcConfig(env);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${(error as Error).message}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as most deploy tools write them.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  let trustedProxies: TrustedProxies;
  try {
    trustedProxies = parseTrustedProxies(e.TRUSTED_PROXIES);
  } catch (error) {
    throw new ConfigError(`invalid configuration: TRUSTED_PROXIES: ${(error as Error).message}`);
  }
  let oidcProviders: OidcProviderConfig[];
  try {
    oidcProviders = loadOidcProviders(cleaned);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${(error as Error).message}`);
  }
  const services = e.SERVICES.trim() === 'all' ? 'all' : e.SERVICES.split(',').map((name) => name.trim());
  return {
    services,
    adapter: e.ANYCHAT_ADAPTER ?? (services === 'all' ? 'embedded' : 'dapr'),
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.ANYCHAT_DATA_DIR,
    databasePoolMax: e.DATABASE_POOL_MAX,
    logLevel: e.LOG_LEVEL,
    workerId: e.WORKER_ID ?? workerIdFromHostname(),
    httpBodyLimitKb: e.HTTP_BODY_LIMIT_KB,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    rateLimitFactor: e.RATE_LIMIT_FACTOR,
    trustedProxies,
    metricsPort: e.METRICS_PORT,
    tracing: tracingConfigOf(e),
    publicUrl: e.PUBLIC_URL,
    webClient: e.WEB_CLIENT === undefined ? services === 'all' : e.WEB_CLIENT === 'true',
    defaultLanguage: e.DEFAULT_LANGUAGE,
    production: e.NODE_ENV === 'production',
    dapr: {
      host: e.DAPR_HOST,
      httpPort: e.DAPR_HTTP_PORT,
      grpcPort: e.DAPR_GRPC_PORT,
      appApiToken: e.APP_API_TOKEN,
      daprApiToken: e.DAPR_API_TOKEN,
      pubsubName: e.PUBSUB_NAME,
      stateStoreName: e.STATE_STORE_NAME,
      sharedStateStoreName: e.SHARED_STATE_STORE_NAME,
      startupTimeoutSeconds: e.DAPR_STARTUP_TIMEOUT_SECONDS,
      maxDeliveryAttempts: e.PUBSUB_MAX_DELIVERY_ATTEMPTS,
    },
    auth: {
      issuer: e.AUTH_ISSUER,
      signingKey: e.AUTH_SIGNING_KEY,
      totpKeys: e.TOTP_ENCRYPTION_KEYS ? totpKeysOf(e.TOTP_ENCRYPTION_KEYS) : undefined,
      accessTokenTtlSeconds: e.AUTH_ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: e.AUTH_REFRESH_TOKEN_TTL_SECONDS,
      multiDevicePolicy: e.AUTH_MULTI_DEVICE_POLICY,
      maxDevices: e.AUTH_MAX_DEVICES,
      login: {
        maxFailures: e.AUTH_LOGIN_MAX_FAILURES,
        backoffSeconds: Math.min(e.AUTH_LOGIN_BACKOFF_SECONDS, e.AUTH_LOGIN_LOCK_SECONDS),
        maxBackoffSeconds: e.AUTH_LOGIN_LOCK_SECONDS,
        accountMaxFailures: e.AUTH_LOGIN_ACCOUNT_MAX_FAILURES,
        addressMaxFailures: 4 * e.AUTH_LOGIN_MAX_FAILURES,
      },
      deviceTokenTtlSeconds: e.AUTH_DEVICE_TOKEN_TTL_SECONDS,
      deletionGraceSeconds: e.ACCOUNT_DELETION_GRACE_SECONDS,
      codeWebhookUrl: e.AUTH_CODE_WEBHOOK_URL,
      codeTtlSeconds: e.AUTH_CODE_TTL_SECONDS,
      codeResendSeconds: e.AUTH_CODE_RESEND_SECONDS,
      codeTargetHourlyLimit: e.AUTH_CODE_TARGET_HOURLY_LIMIT,
      smtp: e.SMTP_HOST
        ? {
            host: e.SMTP_HOST,
            port: e.SMTP_PORT,
            tls: e.SMTP_TLS,
            user: e.SMTP_USER,
            password: e.SMTP_PASSWORD,
            from: e.SMTP_FROM,
          }
        : undefined,
      sms: e.SMS_HTTP_URL ? { url: e.SMS_HTTP_URL, token: e.SMS_HTTP_TOKEN } : undefined,
      oidc: { providers: oidcProviders, redirectUri: e.OIDC_REDIRECT_URI },
    },
    user: {
      qrcodeTtlSeconds: e.USER_QRCODE_TTL_SECONDS,
      nicknameBlocklist: e.USER_NICKNAME_BLOCKLIST.split(',')
        .map((word) => word.trim().toLowerCase())
        .filter(Boolean),
    },
    friend: {
      maxFriends: e.FRIEND_MAX_FRIENDS,
      maxBlacklist: e.FRIEND_MAX_BLACKLIST,
      requestTtlSeconds: e.FRIEND_REQUEST_TTL_SECONDS,
      requestResendSeconds: e.FRIEND_REQUEST_RESEND_SECONDS,
    },
    group: {
      maxMembers: e.GROUP_MAX_MEMBERS,
      qrcodeTtlSeconds: e.GROUP_QRCODE_TTL_SECONDS,
      invitationTtlSeconds: e.GROUP_INVITATION_TTL_SECONDS,
    },
    gateway: {
      heartbeatSeconds: e.GATEWAY_HEARTBEAT_SECONDS,
      presenceTtlSeconds: e.GATEWAY_PRESENCE_TTL_SECONDS,
      maxFrameBytes: e.GATEWAY_MAX_FRAME_BYTES,
      framesPerSecond: e.GATEWAY_FRAMES_PER_SECOND,
      maxBufferedBytes: e.GATEWAY_MAX_BUFFERED_BYTES,
      revalidateSeconds: e.GATEWAY_REVALIDATE_SECONDS,
      instanceId: e.GATEWAY_INSTANCE_ID,
      reconnectJitterMs: e.GATEWAY_RECONNECT_JITTER_MS,
      offlineGraceMs: e.GATEWAY_OFFLINE_GRACE_MS,
      reportIntervalSeconds: e.GATEWAY_REPORT_INTERVAL_SECONDS,
      compression: e.GATEWAY_COMPRESSION,
    },
    message: {
      maxTextLength: e.MESSAGE_MAX_TEXT_LENGTH,
      sendBatchSize: e.MESSAGE_SEND_BATCH_SIZE,
      sendBatchWaitMicros: e.MESSAGE_SEND_BATCH_WAIT_MICROS,
      groupReadFanoutMinMembers: e.MESSAGE_GROUP_READ_FANOUT_MIN_MEMBERS,
      recallWindowSeconds: e.MESSAGE_RECALL_WINDOW_SECONDS,
      editWindowSeconds: e.MESSAGE_EDIT_WINDOW_SECONDS,
      allowStrangers: e.MESSAGE_ALLOW_STRANGERS,
      partitionMonthsAhead: e.MESSAGE_PARTITION_MONTHS_AHEAD,
      retentionMonths: e.MESSAGE_RETENTION_MONTHS,
      expiredPartitions: e.MESSAGE_EXPIRED_PARTITIONS,
      partitionsManagedBy: e.MESSAGE_PARTITIONS_MANAGED_BY,
      timerSweepMs: e.MESSAGE_TIMER_SWEEP_MS,
      linkPreview: {
        allowPrivate: e.LINK_PREVIEW_ALLOW_PRIVATE_ADDRESSES,
        timeoutMs: e.LINK_PREVIEW_TIMEOUT_MS,
        maxBytes: e.LINK_PREVIEW_MAX_BYTES,
      },
      outgoingWebhooks: {
        allowPrivate: e.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
        timeoutMs: e.WEBHOOK_TIMEOUT_MS,
        perMinute: e.WEBHOOK_DELIVERIES_PER_MINUTE,
      },
    },
    moderation: { sensitiveWordsRefreshMs: e.SENSITIVE_WORDS_REFRESH_MS },
    admin: {
      tokenTtlSeconds: e.ADMIN_TOKEN_TTL_SECONDS,
      sweepSeconds: e.ADMIN_SWEEP_SECONDS,
      secondFactor: e.ADMIN_SECOND_FACTOR,
    },
    push: pushConfigOf(cleaned),
    file: fileConfigOf(cleaned, e.ANYCHAT_DATA_DIR),
    rtc: rtcConfigOf(cleaned),
  };
}
