import { expect } from 'chai';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, sleep } from '../support/chat.ts';
import { nextEvent } from '../support/topic-probe.ts';
import { type PushWorld, sendText, startPushWorld, subscribeWebPush, updatePushSettings } from './support.ts';

/**
 * A reaction reaches the message's author by push when none of their devices is connected, under
 * the policies messages have: the preview setting hides what was said, a muted conversation is
 * quiet, and one's own reactions push nothing. A real Web Push receiver of the test's own.
 */
describe('push: reactions to my messages', function () {
  this.timeout(90_000);
  let world: PushWorld;

  before(async function () {
    await requirePostgres(this);
    world = await startPushWorld();
  });
  after(async () => {
    await world?.stop();
  });

  it('tells an offline author who reacted with what, as previews and mutes allow', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const bob = await registerUser(api, { nickname: 'Bob' });
    await befriend(api, bob, alice);
    const device = `reactions-${alice.userId}`;
    await subscribeWebPush(world, alice, device, { language: 'en' });
    const sent = await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'lunch?');
    const react = (user: typeof alice, emoji: string) =>
      api.ok('POST', `/api/v1/messages/${sent.messageId}/reactions`, {
        token: user.accessToken,
        body: { emoji },
      });

    await react(bob, '👍');
    const first = await world.endpoint.nth(device, 1);
    expect(first.payload).to.deep.include({ title: 'Bob', body: 'Bob reacted 👍 to "lunch?"' });
    expect(first.payload.data).to.deep.include({
      type: 'reaction',
      messageId: sent.messageId,
      sessionId: sent.sessionId,
      userId: bob.userId,
      emoji: '👍',
    });

    await updatePushSettings(world, alice, { pushPreview: false });
    await react(bob, '❤️');
    const hidden = await world.endpoint.nth(device, 2);
    expect(hidden.payload).to.deep.include({ title: 'New reaction', body: 'You have a new message' });

    // Her own reaction, and any in a conversation she muted, push nothing.
    await react(alice, '🎉');
    await api.ok('PUT', `/api/v1/sessions/${sent.sessionId}/mute`, {
      token: alice.accessToken,
      body: { isMuted: true },
    });
    const muted = nextEvent(world.platform, 'message.reacted', (e) => e.emoji === '😂');
    await react(bob, '😂');
    await muted;
    // The push service got the same event; a moment for its planner to have decided.
    await sleep(1500);
    const { rows } = await world.db.query<{ event_id: string }>(
      `select "event_id" from "push"."push_deliveries" where "user_id" = $1 order by "created_at"`,
      [alice.userId],
    );
    expect(rows.map((row) => row.event_id)).to.deep.equal([
      `reaction:${sent.messageId}:${bob.userId}:👍`,
      `reaction:${sent.messageId}:${bob.userId}:❤️`,
    ]);
    expect(world.endpoint.pushesFor(device)).to.have.length(2);
  });
});
