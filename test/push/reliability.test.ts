import { expect } from 'chai';
import { PushService } from '../../services/platform/contracts/gen/anychat/push/v1/push_pb.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, loginDevice } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { WsClient } from '../support/ws-client.ts';
import { claimedFor, type PushWorld, sendText, startPushWorld, subscribeWebPush } from './support.ts';

/**
 * What happens when providers fail: a push service that is down for one device is tried three
 * times with growing waits and recorded as failed, while other users' pushes go on; a
 * subscription the push service says is gone (410) leaves the user's registry at once and the
 * user is told. The push service is the test's own on loopback (see web-push.test.ts).
 */
describe('push: retries, failures and dead tokens', function () {
  this.timeout(90_000);
  let world: PushWorld;

  before(async function () {
    await requirePostgres(this);
    world = await startPushWorld({ PUSH_SWEEP_SECONDS: '1' });
  });
  after(async () => {
    await world?.stop();
  });

  it('retries a provider outage three times, records the failure, and pushes to others meanwhile', async () => {
    const api = world.platform.api;
    const owner = await registerUser(api, { nickname: 'Olga' });
    const down = await registerUser(api);
    const up = await registerUser(api);
    await befriend(api, down, owner);
    await befriend(api, up, owner);
    const downDevice = `down-${down.userId}`;
    const upDevice = `up-${up.userId}`;
    await subscribeWebPush(world, down, downDevice);
    await subscribeWebPush(world, up, upDevice);
    world.endpoint.answer(downDevice, 503);
    // The failing device's first answer waits until the other user has had their push.
    const other = world.endpoint.nth(upDevice, 1);
    world.endpoint.hold(downDevice, other);
    const { groupId } = await api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: owner.accessToken,
      body: { name: 'Ops', memberIds: [down.userId, up.userId] },
    });
    const sent = await sendText(api, owner, { sessionType: 'group', targetId: groupId }, 'status?');
    await other;

    const failure = await eventually('the failure is recorded', async () => {
      const { rows } = await world.db.query(
        `select "event_id", "reason", "attempts", "provider", "push_type" from "push"."push_failures" where "user_id" = $1`,
        [down.userId],
      );
      return rows[0];
    });
    expect(failure).to.deep.equal({
      event_id: `message:${sent.messageId}`,
      reason: 'transient',
      attempts: 3,
      provider: 'webpush',
      push_type: 'message',
    });
    const { rows: logs } = await world.db.query(
      `select "attempt", "status", "error_message" from "push"."push_logs" where "user_id" = $1 order by "attempt"`,
      [down.userId],
    );
    expect(logs.map((log) => [log.attempt, log.status])).to.deep.equal([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
    ]);
    expect(logs[0].error_message).to.match(/^transient: HTTP 503/);
    expect(world.endpoint.requestsFor(downDevice)).to.equal(3);
  });

  it('removes a subscription the push service says is gone, at once, and tells the user', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const bob = await registerUser(api);
    await befriend(api, bob, alice);
    const device = `gone-${bob.userId}`;
    await subscribeWebPush(world, bob, device);
    world.endpoint.answer(device, 410);
    const phone = await loginDevice(api, bob as never, 'iOS', `phone-${bob.userId}`);
    const ws = await WsClient.connect(world.platform.host.url, phone.accessToken);
    try {
      const sent = await sendText(
        api,
        alice,
        { sessionType: 'single', targetId: bob.userId },
        'anyone there?',
      );
      const notice = await ws.next(
        (frame) =>
          frame.type === 'NOTIFICATION' && (frame.data as { kind?: string }).kind === 'push.token_invalid',
        20_000,
      );
      expect((notice.data as { payload: Record<string, unknown> }).payload).to.deep.equal({
        deviceId: `web-${bob.account}`,
        provider: 'webpush',
        platform: 'Web',
      });
      const { registrations } = await api.ok<{ registrations: unknown[] }>(
        'GET',
        '/api/v1/users/push-tokens',
        {
          token: bob.accessToken,
        },
      );
      expect(registrations).to.deep.equal([]);
      const { rows } = await world.db.query(
        `select "reason", "attempts" from "push"."push_failures" where "event_id" = $1`,
        [`message:${sent.messageId}`],
      );
      expect(rows).to.deep.equal([{ reason: 'dead-token', attempts: 1 }]);
      // Nothing more goes to it.
      await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'hello?');
      expect(await claimedFor(world, bob.userId)).to.deep.equal([`message:${sent.messageId}`]);
    } finally {
      await ws.close();
    }
  });

  it('sends a test push to every registered device of a user, connected or not (imctl push test)', async () => {
    const api = world.platform.api;
    const bob = await registerUser(api);
    const device = `test-${bob.userId}`;
    await subscribeWebPush(world, bob, device, { language: 'en' });
    const ws = await WsClient.connect(world.platform.host.url, bob.accessToken);
    try {
      const { results } = await world.platform.invoker.call(PushService.method.sendTestPush, {
        userId: bob.userId,
      });
      expect(results.map(({ deviceId, provider, status }) => ({ deviceId, provider, status }))).to.deep.equal(
        [{ deviceId: `web-${bob.account}`, provider: 'webpush', status: 'success' }],
      );
      expect((await world.endpoint.nth(device, 1)).payload).to.deep.include({ title: 'Test notification' });
    } finally {
      await ws.close();
    }
  });

  it('deletes claims after two days and logs and failures after the retention (30 days)', async () => {
    const insert = (table: string, id: string, age: string) =>
      table === 'push_deliveries'
        ? world.db.query(
            `insert into "push"."push_deliveries" ("event_id", "device_id", "user_id", "created_at")
             values ($1, 'd', 1, now() - $2::interval)`,
            [id, age],
          )
        : world.db.query(
            `insert into "push"."${table}" ("id", "user_id", "device_id", "provider", "push_type", ${
              table === 'push_logs' ? '"attempt", "status"' : '"event_id", "reason", "attempts"'
            }, "created_at") values ($1, 1, 'd', 'webpush', 'message', ${
              table === 'push_logs' ? "1, 'success'" : "'e', 'transient', 3"
            }, now() - $2::interval)`,
            [id, age],
          );
    await insert('push_deliveries', 'old-claim', '3 days');
    await insert('push_deliveries', 'new-claim', '1 hour');
    await insert('push_logs', '9000000000000000001', '40 days');
    await insert('push_logs', '9000000000000000002', '1 day');
    await insert('push_failures', '9000000000000000003', '40 days');
    await insert('push_failures', '9000000000000000004', '1 day');
    await eventually('old records are gone', async () => {
      const { rows } = await world.db.query(
        `select (select count(*) from "push"."push_deliveries" where "event_id" in ('old-claim', 'new-claim'))::int as claims,
                (select count(*) from "push"."push_logs" where "id" in (9000000000000000001, 9000000000000000002))::int as logs,
                (select count(*) from "push"."push_failures" where "id" in (9000000000000000003, 9000000000000000004))::int as failures`,
      );
      return rows[0].claims === 1 && rows[0].logs === 1 && rows[0].failures === 1;
    });
    const { rows } = await world.db.query(
      `select "event_id" from "push"."push_deliveries" where "event_id" in ('old-claim', 'new-claim')`,
    );
    expect(rows).to.deep.equal([{ event_id: 'new-claim' }]);
  });
});
