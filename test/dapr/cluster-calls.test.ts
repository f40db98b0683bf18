/**
 * A one-to-one call on the cluster shape: the rtc app behind its own daprd, LiveKit's webhooks
 * straight to it, the callee's socket on another gateway process. The invitation and every change
 * of the call reach the devices through the message service (service invocation through daprd)
 * and the gateways' delivery topics (pub/sub through daprd); the call record is a message of the
 * conversation. Then a meeting on the same cluster: created through the ingress, joined through the
 * rtc app's own address (the nickname in the token from the user app through the sidecars), the
 * host's mute seen in LiveKit's API. A file of its own: the cluster suite's shape has no LiveKit,
 * and one cluster start is enough for the whole flow.
 */
import { dispose } from '@livekit/rtc-node';
import { expect } from 'chai';
import { RoomServiceClient, TrackSource } from 'livekit-server-sdk';
import { callNotice, Participant } from '../rtc/support.ts';
import { ApiClient, registerUser } from '../support/api-client.ts';
import { befriend, sleep } from '../support/chat.ts';
import { DaprCluster } from '../support/dapr-cluster.ts';
import { eventually } from '../support/eventually.ts';
import { type LiveKitServer, startLiveKit } from '../support/livekit.ts';
import { freePort } from '../support/processes.ts';
import { WsClient } from '../support/ws-client.ts';

interface Ticket {
  callId: string;
  roomName: string;
  url: string;
  token: string;
}

interface CallView {
  status: string;
  duration: number;
  participants: Array<{ userId: string; inRoom: boolean; tracks: Array<{ source: string }> }>;
}

// The LiveKit FFI is one per process and cannot start again once disposed: dispose it at the very
// end of the run (a root hook), never after this suite, or the suites after it cannot join a room.
after(async () => {
  await dispose();
});

describe('a call on real Dapr sidecars [nats pub/sub, redis state]', function () {
  this.timeout(120_000);
  let cluster: DaprCluster | undefined;
  let livekit: LiveKitServer | undefined;
  const participants: Participant[] = [];
  const api = () => cluster!.api;
  const gw = (n: 1 | 2) => cluster!.member(`gateway-${n}`).url;

  before(async function () {
    this.timeout(600_000);
    // LiveKit must know where the rtc app listens before the cluster starts.
    const rtcPort = await freePort();
    livekit = await startLiveKit({ webhookUrl: `http://127.0.0.1:${rtcPort}/api/v1/rtc/webhook` });
    cluster = await DaprCluster.start({
      broker: 'nats',
      state: 'redis',
      gateways: 2,
      appPorts: { rtc: rtcPort },
      env: { ...livekit.env, RTC_SWEEP_SECONDS: '1' },
    });
  });
  after(async function () {
    this.timeout(60_000);
    for (const participant of participants.splice(0)) await participant.leave().catch(() => {});
    await cluster?.stop();
    await livekit?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed')
      console.error(`${cluster?.diagnostics()}\n--- livekit ---\n${livekit?.logTail()}`);
  });

  it('rings the callee on another gateway, is accepted there, is connected for both, and hangup leaves a record both see', async () => {
    const a = await registerUser(api());
    const b = await registerUser(api());
    await befriend(api(), a, b);
    const wsA = await WsClient.connect(gw(1), a.accessToken);
    const wsB = await WsClient.connect(gw(2), b.accessToken);
    const callView = (token: string, callId: string) =>
      api().ok<CallView>('GET', `/api/v1/calls/${callId}`, { token });
    const join = (ticket: { url: string; token: string }) =>
      Participant.talking(ticket.url, ticket.token, participants);
    try {
      const ticket = await api().ok<Ticket>('POST', '/api/v1/calls/invite', {
        token: a.accessToken,
        body: { userId: b.userId, callType: 'audio' },
      });
      expect(ticket.url).to.equal(livekit!.url);
      const ring = await callNotice(wsB, 'call.invited', ticket.callId, 15_000);
      expect(ring.data.payload).to.deep.include({ callType: 'audio', roomName: ticket.roomName });
      expect(ring.data.payload.caller.userId).to.equal(a.userId);

      await join(ticket);
      const answer = await api().ok<Ticket>('PUT', `/api/v1/calls/${ticket.callId}/accept`, {
        token: b.accessToken,
      });
      await Promise.all([wsA, wsB].map((ws) => callNotice(ws, 'call.accepted', ticket.callId, 15_000)));
      await join(answer);

      // LiveKit's own view, then the platform's (from LiveKit's webhooks to the rtc app), for both.
      const rooms = new RoomServiceClient(livekit!.url, livekit!.apiKey, livekit!.apiSecret);
      await eventually('both publish a microphone in the room', async () => {
        const present = await rooms.listParticipants(ticket.roomName);
        return present.filter((p) => p.tracks.some((t) => t.source === TrackSource.MICROPHONE)).length === 2;
      });
      for (const user of [a, b]) {
        const live = await eventually(`the call is connected for ${user.account}`, async () => {
          const view = await callView(user.accessToken, ticket.callId);
          return view.status === 'connected' && view.participants.every((p) => p.inRoom) && view;
        });
        expect(live.participants.map((p) => p.userId).sort()).to.deep.equal([a.userId, b.userId].sort());
      }

      await sleep(1200);
      const { duration } = await api().ok<{ duration: number }>(
        'PUT',
        `/api/v1/calls/${ticket.callId}/hangup`,
        { token: a.accessToken },
      );
      expect(duration).to.be.at.least(1);
      await callNotice(wsB, 'call.ended', ticket.callId, 15_000);
      expect(await callView(b.accessToken, ticket.callId)).to.include({ status: 'ended', duration });
      // The record syncs to both sides like any message.
      for (const ws of [wsA, wsB]) {
        const [record] = await ws.waitForMessages(1, (f) => f.data.contentType === 'call');
        expect(record!.data.senderId).to.equal(a.userId);
        expect(record!.data.content).to.include({ callId: ticket.callId, status: 'ended', duration });
      }
    } finally {
      await Promise.all([wsA.close(), wsB.close()]);
    }
  });

  it('holds a meeting: created through the ingress, joined through the rtc app, the host mutes a member in LiveKit', async () => {
    const host = await registerUser(api());
    const member = await registerUser(api());
    const { meetingId } = await api().ok<{ meetingId: string }>('POST', '/api/v1/meetings', {
      token: host.accessToken,
      body: { title: 'cluster standup', password: '2468' },
    });
    // The rtc app's own address: the member's token comes from the same app behind another door,
    // and its nickname from the user app through the sidecars.
    const rtcApp = new ApiClient(cluster!.member('rtc').url);
    const wrong = await rtcApp.call('POST', `/api/v1/meetings/${meetingId}/join`, {
      token: member.accessToken,
      body: { password: '1357' },
    });
    expect(wrong.body.code).to.equal(100108);
    const tickets = [
      await api().ok<Ticket>('POST', `/api/v1/meetings/${meetingId}/join`, {
        token: host.accessToken,
        body: {},
      }),
      await rtcApp.ok<Ticket>('POST', `/api/v1/meetings/${meetingId}/join`, {
        token: member.accessToken,
        body: { password: '2468' },
      }),
    ];
    for (const ticket of tickets) await Participant.talking(ticket.url, ticket.token, participants);
    const rooms = new RoomServiceClient(livekit!.url, livekit!.apiKey, livekit!.apiSecret);
    const micOf = async (identity: string) =>
      (await rooms.listParticipants(tickets[0]!.roomName))
        .find((p) => p.identity === identity)
        ?.tracks.find((t) => t.source === TrackSource.MICROPHONE);
    await eventually(
      'both publish a microphone',
      async () => (await micOf(host.userId)) && (await micOf(member.userId)),
    );
    const muted = await api().ok<{ muted: number }>('POST', `/api/v1/meetings/${meetingId}/mute`, {
      token: host.accessToken,
      body: { userId: member.userId },
    });
    expect(muted.muted).to.equal(1);
    expect((await micOf(member.userId))!.muted).to.equal(true);
    expect((await micOf(host.userId))!.muted).to.equal(false);
    const seen = await api().ok<{ participants: Array<{ userId: string }> }>(
      'GET',
      `/api/v1/meetings/${meetingId}/participants`,
      { token: member.accessToken },
    );
    expect(seen.participants.map((p) => p.userId).sort()).to.deep.equal([host.userId, member.userId].sort());
    await api().ok('POST', `/api/v1/meetings/${meetingId}/end`, { token: host.accessToken });
    await eventually(
      'LiveKit closed the room',
      async () => (await rooms.listRooms([tickets[0]!.roomName])).length === 0,
    );
  });
});
