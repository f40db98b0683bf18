import { expect } from 'chai';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { type PushWorld, sendText, startPushWorld, subscribeWebPush } from './support.ts';

/**
 * A push waiting for its retry is kept in the database, not in a timer of the process: the
 * platform stops between a failed attempt and the next, and the push still arrives, once.
 */
describe('push: a retry survives a restart', function () {
  this.timeout(90_000);
  let world: PushWorld;

  before(async function () {
    await requirePostgres(this);
    // The second attempt is due 2 s after the first fails: the restart happens in between.
    world = await startPushWorld({ PUSH_RETRY_BASE_MS: '2000' });
  });
  after(async () => {
    await world?.stop();
  });

  const pendingOf = async (userId: string) =>
    (
      await world.db.query<{ attempts: number; leased: boolean }>(
        `select "attempts", "lease_until" is not null as "leased" from "push"."push_pending" where "user_id" = $1`,
        [userId],
      )
    ).rows;

  it('sends, after the restart, the push whose first attempt failed before it', async () => {
    const owner = await registerUser(world.platform.api, { nickname: 'Rita' });
    const friend = await registerUser(world.platform.api);
    await befriend(world.platform.api, friend, owner);
    const device = `restart-${friend.userId}`;
    await subscribeWebPush(world, friend, device);
    world.endpoint.answer(device, 503);

    await sendText(
      world.platform.api,
      owner,
      { sessionType: 'single', targetId: friend.userId },
      'still there?',
    );
    await eventually('the first attempt failed and the retry waits in the database', async () => {
      const rows = await pendingOf(friend.userId);
      return rows.length === 1 && rows[0]!.attempts === 1 && !rows[0]!.leased;
    });
    expect(world.endpoint.requestsFor(device)).to.equal(1);

    await world.platform.restart();
    world.endpoint.recover(device);

    const push = await world.endpoint.nth(device, 1);
    expect(push.payload).to.deep.include({ title: 'Rita', body: 'still there?' });
    // Logged and settled once the push service has answered.
    const logs = await eventually('the second attempt is logged', async () => {
      const { rows } = await world.db.query(
        `select "attempt", "status" from "push"."push_logs" where "user_id" = $1 order by "attempt"`,
        [friend.userId],
      );
      return rows.length === 2 && rows;
    });
    expect(logs).to.deep.equal([
      { attempt: 1, status: 'failed' },
      { attempt: 2, status: 'success' },
    ]);
    await eventually('the push is settled', async () => (await pendingOf(friend.userId)).length === 0);
    expect(world.endpoint.pushesFor(device)).to.have.length(1);
  });
});
