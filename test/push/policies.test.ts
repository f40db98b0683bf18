import { expect } from 'chai';
import { webPushTopic } from '../../services/push/providers/index.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, loginDevice } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import {
  captureMessageEvent,
  claimedFor,
  type PushWorld,
  sendText,
  startPushWorld,
  subscribeWebPush,
  updatePushSettings,
} from './support.ts';

const clock = (at: Date) => at.toISOString().slice(11, 16);

/**
 * The push policies of seed §4.8, each shown on the embedded platform with a Web Push device of
 * the test's own (see web-push.test.ts): what is not pushed is read from the push service's claims
 * once every event has been handled.
 */
describe('push: policies', function () {
  this.timeout(90_000);
  let world: PushWorld;

  before(async function () {
    await requirePostgres(this);
    world = await startPushWorld();
  });
  after(async () => {
    await world?.stop();
  });

  it('pushes nothing in do-not-disturb hours (in the user time zone), and again after them', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const bob = await registerUser(api);
    await befriend(api, bob, alice);
    await subscribeWebPush(world, bob, `dnd-${bob.userId}`);
    const now = Date.now();
    await updatePushSettings(world, bob, {
      dndStart: clock(new Date(now - 3_600_000)),
      dndEnd: clock(new Date(now + 3_600_000)),
      timeZone: 'UTC',
    });
    const quiet = await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'shh');
    expect(await claimedFor(world, bob.userId)).to.deep.equal([]);

    await updatePushSettings(world, bob, { dndStart: null, dndEnd: null });
    const loud = await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'wake up');
    const push = await world.endpoint.nth(`dnd-${bob.userId}`, 1);
    expect(push.payload.data).to.deep.include({ messageId: loud.messageId });
    expect(await claimedFor(world, bob.userId)).to.deep.equal([`message:${loud.messageId}`]);
    expect(quiet.messageId).not.to.equal(loud.messageId);
  });

  it('pushes a muted conversation only for @mentions, at high priority, and those only if the user wants them', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const bob = await registerUser(api);
    const third = await registerUser(api);
    await befriend(api, bob, alice);
    await befriend(api, third, alice);
    const device = `mute-${bob.userId}`;
    await subscribeWebPush(world, bob, device, { language: 'en' });
    const { groupId } = await api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: alice.accessToken,
      body: { name: 'Team', memberIds: [bob.userId, third.userId] },
    });
    const group = { sessionType: 'group' as const, targetId: groupId };
    const first = await sendText(api, alice, group, 'hello team');
    expect((await world.endpoint.nth(device, 1)).urgency).to.equal('normal');
    await api.ok('PUT', `/api/v1/sessions/${first.sessionId}/mute`, {
      token: bob.accessToken,
      body: { isMuted: true },
    });

    const plain = await sendText(api, alice, group, 'nobody in particular');
    const mention = await sendText(api, alice, group, 'bob, look', { mentions: [bob.userId] });
    const push = await world.endpoint.nth(device, 2);
    expect(push.urgency).to.equal('high');
    expect(push.payload.body).to.match(/^\[You were mentioned\] .*Alice: bob, look$/);
    expect(push.payload.data).to.deep.include({ messageId: mention.messageId });

    await updatePushSettings(world, bob, { pushMentionsWhenMuted: false });
    const ignored = await sendText(api, alice, group, 'bob?', { mentions: [bob.userId] });
    const claimed = await claimedFor(world, bob.userId);
    expect(claimed).to.deep.equal([`message:${first.messageId}`, `message:${mention.messageId}`]);
    expect(claimed).not.to.include.members([`message:${plain.messageId}`, `message:${ignored.messageId}`]);
  });

  it('collapses one conversation with a count, withdraws it when read on another device, and skips what was read', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const bob = await registerUser(api);
    await befriend(api, bob, alice);
    const device = `collapse-${bob.userId}`;
    await subscribeWebPush(world, bob, device, { language: 'zh-CN' });
    const chat = { sessionType: 'single' as const, targetId: bob.userId };

    const m1 = await sendText(api, alice, chat, '第一条');
    await world.endpoint.nth(device, 1);
    await sendText(api, alice, chat, '第二条');
    const second = await world.endpoint.nth(device, 2);
    expect(second.payload).to.deep.include({ title: 'Alice', body: '[2条] 第二条' });
    expect(second.topic).to.equal(webPushTopic(m1.sessionId));

    // Bob reads the conversation on his phone: the browser's pushes are withdrawn (replaced, silent).
    const phone = await loginDevice(api, bob as never, 'iOS', `phone-${bob.userId}`);
    await api.ok('POST', '/api/v1/messages/ack', {
      token: phone.accessToken,
      body: { sessionId: m1.sessionId },
    });
    const withdrawal = await world.endpoint.nth(device, 3);
    expect(withdrawal.topic).to.equal(webPushTopic(m1.sessionId));
    expect(withdrawal.payload).to.deep.include({ title: '', body: '', silent: true });
    expect(withdrawal.payload.data).to.deep.include({ type: 'read', sessionId: m1.sessionId });

    const captured = captureMessageEvent(world, bob.userId);
    const m3 = await sendText(api, alice, chat, '第三条');
    const third = await world.endpoint.nth(device, 4);
    expect(third.payload.body, 'the count starts again after reading').to.equal('第三条');
    const event = await captured;
    await api.ok('POST', '/api/v1/messages/ack', {
      token: phone.accessToken,
      body: { sessionId: m1.sessionId },
    });
    await world.endpoint.nth(device, 5);
    // A message already read on another device, arriving late, is not pushed.
    await world.platform.bus.publish('message', world.platform.pubsubName, 'message.created', {
      ...event,
      messageId: '4000000000000000001',
    });
    expect(await claimedFor(world, bob.userId)).not.to.include('message:4000000000000000001');
    expect(world.endpoint.pushesFor(device)).to.have.length(5);
    expect(event.messageId).to.equal(m3.messageId);
  });

  it('shows the total unread as the badge, hides the preview when asked, and speaks the device language', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const carol = await registerUser(api, { nickname: 'Carol' });
    const dave = await registerUser(api, { nickname: 'Dave' });
    const bob = await registerUser(api);
    await befriend(api, bob, alice);
    await befriend(api, bob, carol);
    const device = `badge-${bob.userId}`;
    await subscribeWebPush(world, bob, device, { language: 'en' });
    await updatePushSettings(world, bob, { pushPreview: false });

    await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'secret one');
    await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'secret two');
    await sendText(api, carol, { sessionType: 'single', targetId: bob.userId }, 'secret three');
    await world.endpoint.nth(device, 3);
    const texts = world.endpoint.pushesFor(device).map((push) => push.payload);
    // Pushes of two conversations may arrive in either order.
    expect(texts.map((p) => [p.title, p.body])).to.have.deep.members([
      ['AnyChat', 'You have a new message'],
      ['AnyChat', 'You have 2 new messages'],
      ['AnyChat', 'You have a new message'],
    ]);
    await world.platform.host.settled();
    // Bob now has friendVerify on: Dave's request waits for him, and is pushed at high priority.
    await api.ok('PUT', '/api/v1/users/settings', { token: bob.accessToken, body: { friendVerify: true } });
    await api.ok('POST', '/api/v1/friends/requests', {
      token: dave.accessToken,
      body: { userId: bob.userId, message: 'hi', source: 'search' },
    });
    const request = await world.endpoint.nth(device, 4);
    expect(request.urgency).to.equal('high');
    expect(request.payload).to.deep.include({
      title: 'New friend request',
      body: 'You have a new message',
      badge: 3,
    });
  });

  it('says a group invitation in Chinese to a device set to Chinese', async () => {
    const api = world.platform.api;
    const owner = await registerUser(api, { nickname: '老王' });
    const stranger = await registerUser(api);
    const friend = await registerUser(api);
    await befriend(api, friend, owner);
    const device = `invite-${stranger.userId}`;
    await subscribeWebPush(world, stranger, device, { language: 'zh-CN' });
    await api.ok('POST', '/api/v1/groups', {
      token: owner.accessToken,
      body: { name: '周末爬山', memberIds: [stranger.userId, friend.userId] },
    });
    const push = await world.endpoint.nth(device, 1);
    expect(push.payload).to.deep.include({ title: '入群邀请', body: '老王 邀请你加入群聊「周末爬山」' });
    await eventually('the invitation is logged', async () => {
      const { rows } = await world.db.query(
        `select 1 from "push"."push_logs" where "user_id" = $1 and "push_type" = 'group_invitation'`,
        [stranger.userId],
      );
      return rows.length === 1;
    });
  });
});
