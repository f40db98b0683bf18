import { type Host, startHost } from '../../services/host.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { type ApiClient, registerUser } from './api-client.ts';
import { type TestPlatform, testConfig } from './platform.ts';
import { clientMsgId, WsClient } from './ws-client.ts';

export type User = Awaited<ReturnType<typeof registerUser>>;

type Account = Pick<User, 'userId' | 'accessToken'>;

/** Makes two users friends through the friend API: b accepts requests without verification. */
export async function befriend(api: ApiClient, a: Account, b: Account) {
  await api.ok('PUT', '/api/v1/users/settings', { token: b.accessToken, body: { friendVerify: false } });
  await api.ok('POST', '/api/v1/friends/requests', {
    token: a.accessToken,
    body: { userId: b.userId, message: 'hi', source: 'search' },
  });
}

/**
 * Makes `user` friends with each of `others`, a few at a time: group tests need it, since only
 * friends are put into a group directly (strangers get an invitation).
 */
export async function befriendAll(api: ApiClient, user: Account, others: Account[], parallel = 8) {
  for (let start = 0; start < others.length; start += parallel)
    await Promise.all(others.slice(start, start + parallel).map((other) => befriend(api, user, other)));
}

/** Two registered users who are friends, each with one connected device. */
export async function friendsOnline(platform: TestPlatform) {
  const a = await registerUser(platform.api);
  const b = await registerUser(platform.api);
  await befriend(platform.api, a, b);
  const wsA = await WsClient.connect(platform.host.url, a.accessToken);
  const wsB = await WsClient.connect(platform.host.url, b.accessToken);
  return { a, b, wsA, wsB };
}

/** Logs a user in on another device (its own session and token). */
export async function loginDevice(api: ApiClient, user: User, deviceType: string, deviceId: string) {
  return api.ok<{ accessToken: string }>('POST', '/api/v1/auth/login', {
    body: { account: user.account, password: user.password, deviceType, deviceId },
  });
}

/**
 * A second host in the same process running only a gateway, on the same database, bus and
 * invoker as the platform: two gateway instances, as in a cluster.
 */
export async function startExtraGateway(
  platform: TestPlatform,
  env: Record<string, string> = {},
): Promise<Host> {
  const config = testConfig({
    SERVICES: 'gateway',
    ANYCHAT_ADAPTER: 'embedded',
    ...platform.backend.env,
    ...env,
  });
  return startHost({
    config,
    logger: createLogger(config.logLevel),
    bus: platform.bus,
    invoker: platform.invoker,
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The body of a one-to-one text message sent over REST (and of the routes that take one), with extra fields. */
export const textBody = (targetId: string, content: string, extra: Record<string, unknown> = {}) => ({
  clientMsgId: clientMsgId(),
  sessionType: 'single',
  targetId,
  contentType: 'text',
  content,
  ...extra,
});
