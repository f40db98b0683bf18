import { dispose } from '@livekit/rtc-node';
import { expect } from 'chai';
import { AccessToken, TokenVerifier, TrackSource } from 'livekit-server-sdk';
import { registerUser } from '../support/api-client.ts';
import { befriend, sleep } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { WsClient } from '../support/ws-client.ts';
import {
  callers,
  callNotice,
  forEachRtcBackend,
  hasNotice,
  Participant,
  RING_SECONDS,
  userWithTwoDevices,
} from './support.ts';

interface Ticket {
  callId: string;
  roomName: string;
  url: string;
  token: string;
  expiresIn: number;
  busy: string[];
}

interface CallView {
  status: string;
  duration: number;
  endReason: string | null;
  participants: Array<{ userId: string; state: string; inRoom: boolean; tracks: Array<{ source: string }> }>;
}

after(async () => {
  await dispose();
});

forEachRtcBackend('calls on LiveKit', (world) => {
  const api = () => world().platform.api;
  const url = () => world().platform.host.url;
  const participants: Participant[] = [];
  afterEach(async () => {
    for (const participant of participants.splice(0)) await participant.leave().catch(() => {});
  });

  const invite = (token: string, body: Record<string, unknown>) =>
    api().ok<Ticket>('POST', '/api/v1/calls/invite', { token, body });
  const callView = (token: string, callId: string) =>
    api().ok<CallView>('GET', `/api/v1/calls/${callId}`, { token });
  const join = async (ticket: { url: string; token: string }) => {
    const participant = await Participant.join(ticket.url, ticket.token);
    participants.push(participant);
    await participant.publishAudio();
    return participant;
  };

  it('rings every device of the callee, is answered on the second, both talk in the room, and hangup records its exact duration', async () => {
    const a = await registerUser(api());
    const b = await userWithTwoDevices(api(), url());
    await befriend(api(), a, b.user);
    const wsA = await WsClient.connect(url(), a.accessToken);

    const ticket = await invite(a.accessToken, { userId: b.user.userId, callType: 'audio' });
    expect(ticket.roomName).to.equal(`call_${ticket.callId}`);
    expect(ticket.url).to.equal(world().livekit.url);
    // Both of the callee's devices ring, with who calls.
    const rings = await Promise.all(
      [b.web, b.phone].map((ws) => callNotice(ws, 'call.invited', ticket.callId)),
    );
    for (const ring of rings)
      expect(ring.data.payload).to.deep.include({ callType: 'audio', roomName: ticket.roomName });
    expect(rings[0]!.data.payload.caller.userId).to.equal(a.userId);

    await join(ticket);
    const answer = await api().ok<Ticket>('PUT', `/api/v1/calls/${ticket.callId}/accept`, {
      token: b.phoneToken,
    });
    // The web device stops ringing; the caller learns who answered; the answering phone is told too
    // (timeline events reach every device in syncSeq order), marked as its own answer.
    const stop = await callNotice(b.web, 'call.accepted', ticket.callId);
    expect(stop.data.payload).to.include({ userId: b.user.userId, deviceId: `ios-${b.user.account}` });
    await callNotice(wsA, 'call.accepted', ticket.callId);
    const own = await callNotice(b.phone, 'call.accepted', ticket.callId);
    expect(own.data.originDeviceId).to.equal(`ios-${b.user.account}`);
    // The other device cannot take the call any more.
    const late = await api().call('PUT', `/api/v1/calls/${ticket.callId}/accept`, {
      token: b.user.accessToken,
    });
    expect(late.body.code).to.equal(100112);
    await join(answer);

    // LiveKit's own API: both users in the room, each publishing a microphone.
    const inRoom = await eventually('both participants publish in the room', async () => {
      const present = await world().rooms.listParticipants(ticket.roomName);
      const publishing = present.filter((p) => p.tracks.some((t) => t.source === TrackSource.MICROPHONE));
      return publishing.length === 2 && present;
    });
    expect(inRoom.map((p) => p.identity).sort()).to.deep.equal([a.userId, b.user.userId].sort());
    // The call's state, as the platform has it from the webhooks and LiveKit.
    const live = await eventually('webhooks report both in the room', async () => {
      const view = await callView(a.accessToken, ticket.callId);
      return (
        view.participants.every((p) => p.inRoom && p.tracks.some((t) => t.source === 'microphone')) && view
      );
    });
    expect(live.status).to.equal('connected');

    await sleep(2200);
    const { duration } = await api().ok<{ duration: number }>(
      'PUT',
      `/api/v1/calls/${ticket.callId}/hangup`,
      {
        token: a.accessToken,
      },
    );
    expect(duration).to.be.within(2, 4);
    await callNotice(b.web, 'call.ended', ticket.callId);
    const ended = await callView(b.phoneToken, ticket.callId);
    expect(ended).to.include({ status: 'ended', endReason: 'hangup', duration });
    // The room is closed on LiveKit.
    await eventually(
      'the room is gone',
      async () => (await world().rooms.listRooms([ticket.roomName])).length === 0,
    );
    // Every device sees the record in the conversation, like any message.
    for (const ws of [b.web, b.phone, wsA]) {
      const [record] = await ws.waitForMessages(1, (f) => f.data.contentType === 'call');
      expect(record!.data.senderId).to.equal(a.userId);
      expect(record!.data.content).to.include({
        callId: ticket.callId,
        status: 'ended',
        duration,
        callType: 'audio',
      });
    }
    // Both call logs show it.
    const log = await api().ok<{ items: Array<Record<string, unknown>> }>('GET', '/api/v1/calls', {
      token: b.user.accessToken,
    });
    expect(log.items[0]).to.include({
      callId: ticket.callId,
      direction: 'incoming',
      myState: 'left',
      duration,
    });
    for (const ws of [wsA, b.web, b.phone]) await ws.close();
  });

  it('reject: the caller is told, the call is recorded as rejected and both lines are free again', async () => {
    const { a, b } = await callers(world().platform);
    const wsA = await WsClient.connect(url(), a.accessToken);
    const ticket = await invite(a.accessToken, { userId: b.userId, callType: 'video' });
    await api().ok('PUT', `/api/v1/calls/${ticket.callId}/reject`, {
      token: b.accessToken,
      body: { reason: 'reject' },
    });
    const notice = await callNotice(wsA, 'call.rejected', ticket.callId);
    expect(notice.data.payload).to.include({ userId: b.userId, reason: 'reject' });
    expect(await callView(a.accessToken, ticket.callId)).to.include({ status: 'rejected', duration: 0 });
    const [record] = await wsA.waitForMessages(1, (f) => f.data.contentType === 'call');
    expect(record!.data.content).to.include({ callId: ticket.callId, status: 'rejected', callType: 'video' });
    // Rejecting again, or answering a rejected call, says it is over.
    const again = await api().call('PUT', `/api/v1/calls/${ticket.callId}/accept`, { token: b.accessToken });
    expect(again.body.code).to.equal(100102);
    const next = await invite(a.accessToken, { userId: b.userId, callType: 'audio' });
    await api().ok('PUT', `/api/v1/calls/${next.callId}/hangup`, { token: a.accessToken });
    expect(await callView(b.accessToken, next.callId)).to.include({ status: 'cancelled' });
    await wsA.close();
  });

  it('no answer within the ring time is a missed call, swept from the database', async () => {
    const { a, b } = await callers(world().platform);
    const wsB = await WsClient.connect(url(), b.accessToken);
    const ticket = await invite(a.accessToken, { userId: b.userId, callType: 'audio' });
    await callNotice(wsB, 'call.invited', ticket.callId);
    const ended = await callNotice(wsB, 'call.ended', ticket.callId, (RING_SECONDS + 10) * 1000);
    expect(ended.data.payload).to.include({ status: 'missed', reason: 'timeout', duration: 0 });
    const [record] = await wsB.waitForMessages(1, (f) => f.data.contentType === 'call');
    expect(record!.data.content).to.include({ status: 'missed' });
    const log = await api().ok<{ items: Array<Record<string, unknown>> }>('GET', '/api/v1/calls', {
      token: b.accessToken,
    });
    expect(log.items[0]).to.include({ callId: ticket.callId, status: 'missed', myState: 'missed' });
    const late = await api().call('PUT', `/api/v1/calls/${ticket.callId}/accept`, { token: b.accessToken });
    expect(late.body.code).to.equal(100102);
    await wsB.close();
  });

  it('a callee already in a call is busy, and so is a caller', async () => {
    const { a, b } = await callers(world().platform);
    const c = await registerUser(api());
    await befriend(api(), c, b);
    await befriend(api(), c, a);
    const ticket = await invite(a.accessToken, { userId: b.userId, callType: 'audio' });
    const busy = await api().call('POST', '/api/v1/calls/invite', {
      token: c.accessToken,
      body: { userId: b.userId, callType: 'audio' },
    });
    expect(busy.status).to.equal(400);
    expect(busy.body.code).to.equal(100103);
    const callerBusy = await api().call('POST', '/api/v1/calls/invite', {
      token: c.accessToken,
      body: { userId: a.userId, callType: 'audio' },
    });
    expect(callerBusy.body.code).to.equal(100103);
    // c was not left holding a line by the refused attempts.
    await api().ok('PUT', `/api/v1/calls/${ticket.callId}/hangup`, { token: a.accessToken });
    const free = await invite(c.accessToken, { userId: b.userId, callType: 'audio' });
    await api().ok('PUT', `/api/v1/calls/${free.callId}/hangup`, { token: c.accessToken });
  });

  it('tokens grant one room, our identity and only the sources the call allows', async () => {
    const { a, b } = await callers(world().platform);
    const stranger = await registerUser(api());
    const { livekit } = world();
    const verifier = new TokenVerifier(livekit.apiKey, livekit.apiSecret);
    const audio = await invite(a.accessToken, { userId: b.userId, callType: 'audio' });
    const claims = await verifier.verify(audio.token);
    expect(claims.sub).to.equal(a.userId);
    expect(claims.video).to.deep.include({ room: audio.roomName, roomJoin: true, canPublish: true });
    expect(claims.video!.canPublishSources).to.deep.equal(['microphone']);
    for (const power of [
      'roomAdmin',
      'roomCreate',
      'roomList',
      'roomRecord',
      'hidden',
      'canUpdateOwnMetadata',
    ])
      expect(claims.video![power as keyof typeof claims.video], power).to.not.equal(true);
    expect(Number(claims.exp) - Number(claims.nbf ?? claims.iat ?? 0)).to.be.at.most(3600 + 5);
    // Before answering, the callee gets no token; a stranger learns nothing of the call.
    const early = await api().call('GET', `/api/v1/calls/token?callId=${audio.callId}`, {
      token: b.accessToken,
    });
    expect(early.body.code).to.equal(13);
    for (const path of [`/api/v1/calls/token?callId=${audio.callId}`, `/api/v1/calls/${audio.callId}`]) {
      const denied = await api().call('GET', path, { token: stranger.accessToken });
      expect(denied.body.code, path).to.equal(100101);
    }
    for (const action of ['accept', 'reject', 'hangup']) {
      const denied = await api().call('PUT', `/api/v1/calls/${audio.callId}/${action}`, {
        token: stranger.accessToken,
        body: {},
      });
      expect(denied.body.code, action).to.equal(100101);
    }
    // A stranger cannot be called, nor a group one is not in.
    const notFriend = await api().call('POST', '/api/v1/calls/invite', {
      token: stranger.accessToken,
      body: { userId: a.userId, callType: 'audio' },
    });
    expect(notFriend.body.code).to.equal(50107);
    await api().ok('PUT', `/api/v1/calls/${audio.callId}/hangup`, { token: a.accessToken });

    const video = await invite(a.accessToken, { userId: b.userId, callType: 'video' });
    const answer = await api().ok<Ticket>('PUT', `/api/v1/calls/${video.callId}/accept`, {
      token: b.accessToken,
    });
    const videoClaims = await verifier.verify(answer.token);
    expect(videoClaims.sub).to.equal(b.userId);
    expect(videoClaims.video!.canPublishSources).to.deep.equal(['microphone', 'camera']);
    expect(videoClaims.video!.room).to.equal(video.roomName);
    const again = await api().ok<Ticket>('GET', `/api/v1/calls/token?callId=${video.callId}`, {
      token: b.accessToken,
    });
    expect((await verifier.verify(again.token)).video!.room).to.equal(video.roomName);
    await api().ok('PUT', `/api/v1/calls/${video.callId}/hangup`, { token: b.accessToken });
  });

  it('group call: rings the free members, reports the busy ones, goes on while anyone is in it and ends with the last', async () => {
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => registerUser(api())));
    await befriend(api(), a!, b!);
    await befriend(api(), a!, c!);
    await befriend(api(), c!, d!);
    const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: a!.accessToken,
      body: { name: 'calls', memberIds: [b!.userId, c!.userId] },
    });
    const wsB = await WsClient.connect(url(), b!.accessToken);
    const wsC = await WsClient.connect(url(), c!.accessToken);
    // c is on the phone with d.
    const other = await invite(c!.accessToken, { userId: d!.userId, callType: 'audio' });
    const ticket = await invite(a!.accessToken, { groupId, callType: 'video' });
    expect(ticket.busy).to.deep.equal([c!.userId]);
    const ring = await callNotice(wsB, 'call.invited', ticket.callId);
    expect(ring.data.payload).to.include({ groupId, callType: 'video' });
    await sleep(300);
    expect(hasNotice(wsC, 'call.invited', ticket.callId)).to.equal(false);
    // A stranger to the group cannot start a call in it.
    const outsider = await api().call('POST', '/api/v1/calls/invite', {
      token: d!.accessToken,
      body: { groupId, callType: 'audio' },
    });
    expect(outsider.body.code).to.equal(40105);

    await api().ok('PUT', `/api/v1/calls/${ticket.callId}/accept`, { token: b!.accessToken });
    await api().ok('PUT', `/api/v1/calls/${ticket.callId}/hangup`, { token: a!.accessToken });
    const left = await callNotice(wsB, 'call.left', ticket.callId);
    expect(left.data.payload).to.include({ userId: a!.userId, state: 'left' });
    expect(await callView(b!.accessToken, ticket.callId)).to.include({ status: 'connected' });
    const { duration } = await api().ok<{ duration: number }>(
      'PUT',
      `/api/v1/calls/${ticket.callId}/hangup`,
      {
        token: b!.accessToken,
      },
    );
    expect(await callView(a!.accessToken, ticket.callId)).to.include({ status: 'ended', duration });
    const [record] = await wsB.waitForMessages(1, (f) => f.data.contentType === 'call');
    expect(record!.data).to.include({ sessionType: 'group', targetId: groupId, senderId: a!.userId });
    expect(record!.data.content).to.include({ callId: ticket.callId, status: 'ended', callType: 'video' });
    await api().ok('PUT', `/api/v1/calls/${other.callId}/hangup`, { token: c!.accessToken });
    await wsB.close();
    await wsC.close();
  });

  it('LiveKit webhooks: a bad signature is refused and changes nothing; the last participant leaving ends the call', async () => {
    const { a, b } = await callers(world().platform);
    const ticket = await invite(a.accessToken, { userId: b.userId, callType: 'audio' });
    const answer = await api().ok<Ticket>('PUT', `/api/v1/calls/${ticket.callId}/accept`, {
      token: b.accessToken,
    });
    const body = JSON.stringify({ event: 'room_finished', room: { name: ticket.roomName }, id: 'EV_forged' });
    const forger = new AccessToken('test-forger', 'not-the-secret-of-this-livekit-server-000');
    forger.sha256 = (await import('node:crypto')).createHash('sha256').update(body).digest('base64');
    for (const authorization of [await forger.toJwt(), undefined]) {
      const refused = await fetch(`${url()}/api/v1/rtc/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/webhook+json',
          ...(authorization ? { authorization } : {}),
        },
        body,
      });
      expect(refused.status).to.equal(401);
      expect(((await refused.json()) as { code: number }).code).to.equal(12);
    }
    expect(await callView(a.accessToken, ticket.callId)).to.include({ status: 'connected' });

    const first = await join(ticket);
    const second = await join(answer);
    await eventually('both in the room', async () =>
      (await callView(a.accessToken, ticket.callId)).participants.every((p) => p.inRoom),
    );
    await first.leave();
    await sleep(500);
    expect(await callView(a.accessToken, ticket.callId)).to.include({ status: 'connected' });
    await second.leave();
    const ended = await eventually('the last one out ends the call', async () => {
      const view = await callView(a.accessToken, ticket.callId);
      return view.status === 'ended' && view;
    });
    expect(ended.endReason).to.equal('left');
    expect(ended.duration).to.be.at.least(0);
  });
});
