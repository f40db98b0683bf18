import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, loginDevice } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { FakeApns, FakeFcm } from '../support/push-provider-servers.ts';
import { selfSignedCertificate } from '../support/tls.ts';
import { type PushWorld, registerPushDevice, sendText, startPushWorld } from './support.ts';

const pem = (
  key: { export(options: { type: 'pkcs8' | 'spki'; format: 'pem' }): string | Buffer },
  type: 'pkcs8' | 'spki',
) => String(key.export({ type, format: 'pem' }));

/** What the platform sends FCM (HTTP v1 `message`), as far as this test reads it. */
interface FcmMessage {
  token: string;
  notification?: { title: string; body: string };
  data: Record<string, string>;
  android: {
    priority: string;
    collapse_key: string;
    ttl: string;
    notification: { tag: string; notification_count: number };
  };
}

/** What the platform posts to a webhook provider. */
interface RelayedPush {
  target: { userId: string; deviceId: string; platform: string; token: string };
  message: { title: string; body: string; priority: string; silent: boolean; data: Record<string, string> };
}

/**
 * FCM HTTP v1 and APNs cannot be reached from here: they are replaced by local HTTP/2 servers
 * (test/support/push-provider-servers.ts) that check the documented authentication (FCM: a
 * service-account JWT exchanged for an access token; APNs: an ES256 .p8 provider token) and
 * answer in the documented formats. What is checked is what the platform sends: request shape,
 * auth headers, collapse and thread ids, badge, priority, and each dead-token answer.
 */
describe('push: FCM and APNs over HTTP/2', function () {
  this.timeout(90_000);
  let world: PushWorld;
  let fcm: FakeFcm;
  let apns: FakeApns;
  let relay: Server;
  const relayed: Array<{ authorization: string | undefined; body: RelayedPush }> = [];
  const certificate = selfSignedCertificate();

  before(async function () {
    await requirePostgres(this);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fcm = await FakeFcm.start(certificate, pem(rsa.publicKey, 'spki'), 'demo-project');
    apns = await FakeApns.start(certificate, pem(ec.publicKey, 'spki'), 'KEY1234567', 'TEAM123456');
    // A relay to a regional provider, added by configuration: a plain HTTP endpoint of the test's own.
    relay = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        relayed.push({ authorization: request.headers.authorization, body });
        response.writeHead(body.target.token.endsWith('-gone') ? 410 : 202).end();
      });
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/push`;
    world = await startPushWorld(
      {
        PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify({
          type: 'service_account',
          project_id: 'demo-project',
          client_email: 'push@demo-project.iam.gserviceaccount.com',
          private_key: pem(rsa.privateKey, 'pkcs8'),
          token_uri: fcm.tokenUri,
        }),
        PUSH_FCM_ENDPOINT: fcm.origin,
        PUSH_APNS_KEY: pem(ec.privateKey, 'pkcs8'),
        PUSH_APNS_KEY_ID: 'KEY1234567',
        PUSH_APNS_TEAM_ID: 'TEAM123456',
        PUSH_APNS_TOPIC: 'io.anychat.app',
        PUSH_APNS_ENDPOINT: apns.origin,
        PUSH_WEBHOOK_PROVIDERS: JSON.stringify([
          { name: 'jpush-relay', url: relayUrl, token: 'relay-secret' },
        ]),
      },
      certificate,
    );
  });
  after(async () => {
    await world?.stop();
    await fcm?.close();
    await apns?.close();
    relay?.close();
  });

  it('sends FCM and APNs requests of the documented shape, authenticated, with collapse, thread, badge and priority', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const bob = await registerUser(api);
    const carol = await registerUser(api);
    await befriend(api, bob, alice);
    await befriend(api, carol, alice);
    const android = await loginDevice(api, bob as never, 'Android', `android-${bob.userId}`);
    const iphone = await loginDevice(api, bob as never, 'iOS', `iphone-${bob.userId}`);
    const fcmToken = `fcm:${bob.userId}-registration-token`;
    const apnsToken = 'ab'.repeat(32);
    await registerPushDevice(
      world,
      { userId: bob.userId, accessToken: android.accessToken },
      {
        pushToken: fcmToken,
        platform: 'Android',
        language: 'en',
      },
    );
    await registerPushDevice(
      world,
      { userId: bob.userId, accessToken: iphone.accessToken },
      {
        pushToken: apnsToken,
        platform: 'iOS',
        language: 'en',
      },
    );
    const { groupId } = await api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: alice.accessToken,
      body: { name: 'Crew', memberIds: [bob.userId, carol.userId] },
    });
    // The group's creation notice is a message too: counted before the first push's badge is read.
    await world.platform.host.settled();
    const plain = await sendText(api, alice, { sessionType: 'group', targetId: groupId }, 'lunch?');
    await eventually(
      'both providers got the first push',
      () => fcm.requests.length >= 1 && apns.requests.length >= 1,
    );
    await world.platform.host.settled();
    // The badge is the user's total unread (the group's creation notice counts too).
    const { total } = await api.ok<{ total: number }>('GET', '/api/v1/sessions/unread', {
      token: bob.accessToken,
    });
    const mention = await sendText(api, alice, { sessionType: 'group', targetId: groupId }, 'bob?', {
      mentions: [bob.userId],
    });
    await eventually(
      'both providers got both pushes',
      () => fcm.requests.length >= 2 && apns.requests.length >= 2,
    );

    // FCM: OAuth with the service account, then messages:send.
    expect(fcm.assertions[0]).to.include({
      iss: 'push@demo-project.iam.gserviceaccount.com',
      scope: 'https://www.googleapis.com/auth/firebase.messaging',
    });
    const [fcmPlain, fcmMention] = fcm.requests.map((r) => r.body.message as FcmMessage);
    expect(fcm.requests[0]!.headers.authorization).to.match(/^Bearer ya29\.test-\d+$/);
    expect(fcmPlain).to.deep.include({
      token: fcmToken,
      notification: { title: 'Crew', body: 'Alice: lunch?' },
    });
    expect(fcmPlain!.android).to.deep.include({
      priority: 'NORMAL',
      collapse_key: plain.sessionId,
      ttl: '3600s',
    });
    expect(fcmPlain!.android.notification).to.include({ tag: plain.sessionId, notification_count: total });
    expect(fcmPlain!.data).to.include({
      type: 'message',
      sessionId: plain.sessionId,
      messageId: plain.messageId,
    });
    expect(fcmMention!.android).to.include({ priority: 'HIGH', collapse_key: mention.sessionId });
    expect(fcmMention!.android.notification.notification_count).to.equal(total + 1);

    // APNs: token auth, alert with thread id and badge, priority 10 only for the mention.
    const [apnsPlain, apnsMention] = apns.requests;
    expect(apnsPlain!.path).to.equal(`/3/device/${apnsToken}`);
    expect(apnsPlain!.headers).to.include({
      'apns-topic': 'io.anychat.app',
      'apns-push-type': 'alert',
      'apns-priority': '5',
      'apns-collapse-id': plain.sessionId,
    });
    expect(Number(apnsPlain!.headers['apns-expiration'])).to.be.greaterThan(Date.now() / 1000);
    expect(apnsPlain!.body.aps).to.deep.equal({
      alert: { title: 'Crew', body: 'Alice: lunch?' },
      badge: total,
      sound: 'default',
      'thread-id': plain.sessionId,
    });
    expect(apnsPlain!.body).to.include({ sessionId: plain.sessionId, messageId: plain.messageId });
    expect(apnsMention!.headers['apns-priority']).to.equal('10');
    expect((apnsMention!.body.aps as { badge: number }).badge).to.equal(total + 1);
  });

  it('removes the registration on each dead-token answer: FCM UNREGISTERED, APNs BadDeviceToken and Unregistered', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const bob = await registerUser(api);
    await befriend(api, bob, alice);
    const devices = [
      { type: 'Android', token: `fcm:${bob.userId}-gone-token-xx`, platform: 'Android' },
      { type: 'iOS', token: 'cd'.repeat(32), platform: 'iOS' },
      { type: 'iOS', token: 'ef'.repeat(32), platform: 'iOS' },
    ];
    fcm.answer(devices[0]!.token, 404, FakeFcm.UNREGISTERED);
    apns.answer(devices[1]!.token, 400, { reason: 'BadDeviceToken' });
    apns.answer(devices[2]!.token, 410, { reason: 'Unregistered', timestamp: Date.now() });
    for (const [index, device] of devices.entries()) {
      const login = await loginDevice(api, bob as never, device.type, `dead-${index}-${bob.userId}`);
      await registerPushDevice(
        world,
        { userId: bob.userId, accessToken: login.accessToken },
        {
          pushToken: device.token,
          platform: device.platform,
        },
      );
    }
    const sent = await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'still there?');
    const failures = await eventually('three dead tokens recorded', async () => {
      const { rows } = await world.db.query(
        `select "provider", "reason", "error_message" from "push"."push_failures" where "event_id" = $1 order by "provider", "error_message"`,
        [`message:${sent.messageId}`],
      );
      return rows.length === 3 && rows;
    });
    expect(failures.map((f: { provider: string; reason: string }) => [f.provider, f.reason])).to.deep.equal([
      ['apns', 'dead-token'],
      ['apns', 'dead-token'],
      ['fcm', 'dead-token'],
    ]);
    expect(failures.map((f: { error_message: string }) => f.error_message).join(' '))
      .to.include('BadDeviceToken')
      .and.include('UNREGISTERED');
    const { registrations } = await api.ok<{ registrations: unknown[] }>('GET', '/api/v1/users/push-tokens', {
      token: bob.accessToken,
    });
    expect(registrations).to.deep.equal([]);
  });

  it('delivers through a provider added by configuration (a webhook relay), and drops its dead tokens too', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const bob = await registerUser(api);
    await befriend(api, bob, alice);
    const phone = await loginDevice(api, bob as never, 'Android', `relay-${bob.userId}`);
    const relayToken = `jpush-${bob.userId}`;
    await registerPushDevice(
      world,
      { userId: bob.userId, accessToken: phone.accessToken },
      { pushToken: relayToken, platform: 'Android', provider: 'jpush-relay', language: 'zh-CN' },
    );
    const sent = await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, '在吗');
    await eventually('the relay got the push', () => relayed.some((r) => r.body.target.token === relayToken));
    const push = relayed.find((r) => r.body.target.token === relayToken)!;
    expect(push.authorization).to.equal('Bearer relay-secret');
    expect(push.body.target).to.include({
      userId: bob.userId,
      deviceId: `relay-${bob.userId}`,
      platform: 'Android',
    });
    expect(push.body.message).to.deep.include({
      title: 'Alice',
      body: '在吗',
      priority: 'normal',
      silent: false,
    });
    expect(push.body.message.data).to.include({ messageId: sent.messageId });

    await registerPushDevice(
      world,
      { userId: bob.userId, accessToken: phone.accessToken },
      { pushToken: `${relayToken}-gone`, platform: 'Android', provider: 'jpush-relay' },
    );
    await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, '还在吗');
    await eventually('the dead relay token is removed', async () => {
      const { registrations } = await api.ok<{ registrations: unknown[] }>(
        'GET',
        '/api/v1/users/push-tokens',
        {
          token: bob.accessToken,
        },
      );
      return registrations.length === 0;
    });
  });
});
