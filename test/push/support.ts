import pg from 'pg';
import type { ApiClient, SignedIn } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { selfSignedCertificate, type TestCertificate } from '../support/tls.ts';
import { WebPushEndpoint } from '../support/web-push-endpoint.ts';

export interface PushWorld {
  platform: TestPlatform;
  endpoint: WebPushEndpoint;
  certificate: TestCertificate;
  /** The platform's database, to read the push service's own records (logs, failures, claims). */
  db: pg.Pool;
  stop(): Promise<void>;
}

/**
 * The embedded platform on the machine's PostgreSQL, its Web Push provider pointed at a loopback
 * push service of the test's own (trusted through PUSH_CA_FILE, as are other servers of the test
 * given the same certificate), retries quick.
 */
export async function startPushWorld(
  env: Record<string, string> = {},
  certificate: TestCertificate = selfSignedCertificate(),
): Promise<PushWorld> {
  const endpoint = await WebPushEndpoint.start(certificate);
  const platform = await startPlatform('postgresql', {
    PUSH_CA_FILE: certificate.certFile,
    PUSH_RETRY_BASE_MS: '20',
    PUSH_TTL_SECONDS: '3600',
    PUSH_VAPID_SUBJECT: 'mailto:ops@anychat.test',
    ...env,
  });
  const db = new pg.Pool({ connectionString: platform.backend.env.DATABASE_URL, max: 2 });
  return {
    platform,
    endpoint,
    certificate,
    db,
    async stop() {
      await db.end();
      await platform.stop();
      await endpoint.close();
      certificate.dispose();
    },
  };
}

type Account = Pick<SignedIn, 'userId' | 'accessToken'>;

/**
 * Registers a Web Push subscription for the user's device (the one their token is for), and
 * waits until the push service's copy of the registry holds it.
 */
export async function subscribeWebPush(
  world: PushWorld,
  user: Account,
  device: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const subscription = world.endpoint.subscribe(device);
  await registerPushDevice(world, user, { pushToken: subscription, platform: 'Web', ...extra });
  return subscription;
}

/** Registers a push token for the device the access token is for, and waits until the push service has it. */
export async function registerPushDevice(world: PushWorld, user: Account, body: Record<string, unknown>) {
  await world.platform.api.ok('POST', '/api/v1/users/push-token', { token: user.accessToken, body });
  await eventually('the push service learns the registration', async () => {
    const { rows } = await world.db.query(
      `select 1 from "push"."push_registrations" where "user_id" = $1 and "push_token" = $2 and not "removed"`,
      [user.userId, body.pushToken],
    );
    return rows.length > 0;
  });
}

/** Pushes the push service decided on (claimed) for a user, by event. */
export async function claimedFor(world: PushWorld, userId: string): Promise<string[]> {
  await world.platform.host.settled();
  const { rows } = await world.db.query<{ event_id: string }>(
    `select "event_id" from "push"."push_deliveries" where "user_id" = $1 order by "created_at"`,
    [userId],
  );
  return rows.map((row) => row.event_id);
}

export async function sendText(
  api: ApiClient,
  from: Account,
  to: { sessionType: 'single' | 'group'; targetId: string },
  text: string,
  extra: Record<string, unknown> = {},
) {
  return api.ok<{ messageId: string; sessionId: string; seq: number }>('POST', '/api/v1/messages', {
    token: from.accessToken,
    body: {
      ...to,
      contentType: 'text',
      content: text,
      clientMsgId: `c${Math.random().toString(36).slice(2)}`,
      ...extra,
    },
  });
}

/** Changes the user's settings and waits until the push service's copy has them. */
export async function updatePushSettings(world: PushWorld, user: Account, body: Record<string, unknown>) {
  const settings = await world.platform.api.ok<Record<string, unknown>>('PUT', '/api/v1/users/settings', {
    token: user.accessToken,
    body,
  });
  await eventually('the push service learns the settings', async () => {
    const { rows } = await world.db.query(
      `select "dnd_start", "push_preview", "push_mentions_when_muted" from "push"."push_preferences" where "user_id" = $1`,
      [user.userId],
    );
    const row = rows[0];
    return (
      row !== undefined &&
      row.dnd_start === settings.dndStart &&
      row.push_preview === settings.pushPreview &&
      row.push_mentions_when_muted === settings.pushMentionsWhenMuted
    );
  });
}

/** The next message.created event that concerns the user, as the broker carries it. */
export function captureMessageEvent(world: PushWorld, userId: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const stop = world.platform.bus.subscribe(`probe-${userId}`, {
      pubsubName: world.platform.pubsubName,
      topic: 'message.created',
      async handle(cloudEvent) {
        const data = cloudEvent.data as { participants: string[] };
        if (data.participants.includes(userId)) {
          stop();
          resolve(data as unknown as Record<string, unknown>);
        }
        return 'SUCCESS';
      },
    });
  });
}
