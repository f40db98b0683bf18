import { dispose } from '@livekit/rtc-node';
import { expect } from 'chai';
import { TokenVerifier, TrackSource } from 'livekit-server-sdk';
import { registerUser } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { forEachRtcBackend, Participant } from './support.ts';

interface Ticket {
  meetingId: string;
  roomName: string;
  url: string;
  token: string;
  muteOnJoin: boolean;
}

after(async () => {
  await dispose();
});

forEachRtcBackend('meetings on LiveKit', (world) => {
  const api = () => world().platform.api;
  const participants: Participant[] = [];
  afterEach(async () => {
    for (const participant of participants.splice(0)) await participant.leave().catch(() => {});
  });
  const sourcesOf = async (token: string) => {
    const { livekit } = world();
    return (await new TokenVerifier(livekit.apiKey, livekit.apiSecret).verify(token)).video!;
  };

  it('password and settings decide who joins and what their token may publish', async () => {
    const [host, member, guest] = await Promise.all([1, 2, 3].map(() => registerUser(api())));
    const meeting = await api().ok<{ meetingId: string; hasPassword: boolean; status: string }>(
      'POST',
      '/api/v1/meetings',
      {
        token: host!.accessToken,
        body: {
          title: 'weekly',
          password: '2468',
          settings: { muteOnJoin: true, allowUnmute: false, allowVideo: false, hostOnlyScreenShare: true },
        },
      },
    );
    expect(meeting).to.include({ hasPassword: true, status: 'active' });
    const path = `/api/v1/meetings/${meeting.meetingId}/join`;
    for (const body of [{}, { password: '1357' }]) {
      const refused = await api().call('POST', path, { token: guest!.accessToken, body });
      expect(refused.body.code).to.equal(100108);
    }
    const joined = await api().ok<Ticket>('POST', path, {
      token: member!.accessToken,
      body: { password: '2468' },
    });
    expect(joined.muteOnJoin).to.equal(true);
    const memberGrant = await sourcesOf(joined.token);
    expect(memberGrant.room).to.equal(joined.roomName);
    expect(memberGrant.canPublishSources ?? []).to.deep.equal([]);
    expect(memberGrant.canPublish).to.equal(false);
    const hostTicket = await api().ok<Ticket>('POST', path, { token: host!.accessToken, body: {} });
    expect((await sourcesOf(hostTicket.token)).canPublishSources).to.deep.equal([
      'microphone',
      'camera',
      'screen_share',
      'screen_share_audio',
    ]);
    // A member of no meeting gets no token for it; only the host controls it.
    const stranger = await api().call('GET', `/api/v1/meetings/${meeting.meetingId}/token`, {
      token: guest!.accessToken,
    });
    expect(stranger.body.code).to.equal(100106);
    const notHost = await api().call('POST', `/api/v1/meetings/${meeting.meetingId}/mute`, {
      token: member!.accessToken,
      body: {},
    });
    expect(notHost.body.code).to.equal(13);
  });

  it('the host mutes, removes, hands over and ends, as LiveKit itself shows', async () => {
    const [host, member, other] = await Promise.all([1, 2, 3].map(() => registerUser(api())));
    const { meetingId } = await api().ok<{ meetingId: string }>('POST', '/api/v1/meetings', {
      token: host!.accessToken,
      body: { title: 'all hands' },
    });
    const join = (token: string) =>
      api().ok<Ticket>('POST', `/api/v1/meetings/${meetingId}/join`, { token, body: {} });
    const tickets = await Promise.all([host!, member!, other!].map((u) => join(u.accessToken)));
    for (const ticket of tickets) {
      const participant = await Participant.join(ticket.url, ticket.token);
      participants.push(participant);
      await participant.publishAudio();
    }
    const roomName = tickets[0]!.roomName;
    const micOf = async (identity: string) =>
      (await world().rooms.listParticipants(roomName))
        .find((p) => p.identity === identity)
        ?.tracks.find((t) => t.source === TrackSource.MICROPHONE);
    await eventually(
      'everyone publishes',
      async () => (await micOf(other!.userId)) && (await micOf(member!.userId)),
    );

    const one = await api().ok<{ muted: number }>('POST', `/api/v1/meetings/${meetingId}/mute`, {
      token: host!.accessToken,
      body: { userId: member!.userId },
    });
    expect(one.muted).to.equal(1);
    expect((await micOf(member!.userId))!.muted).to.equal(true);
    expect((await micOf(other!.userId))!.muted).to.equal(false);
    const all = await api().ok<{ muted: number }>('POST', `/api/v1/meetings/${meetingId}/mute`, {
      token: host!.accessToken,
      body: {},
    });
    expect(all.muted).to.equal(1);
    expect((await micOf(other!.userId))!.muted).to.equal(true);
    expect((await micOf(host!.userId))!.muted).to.equal(false);

    await api().ok('POST', `/api/v1/meetings/${meetingId}/remove`, {
      token: host!.accessToken,
      body: { userId: member!.userId },
    });
    await eventually('the removed member is out of the room', async () =>
      (await world().rooms.listParticipants(roomName)).every((p) => p.identity !== member!.userId),
    );
    const back = await api().call('POST', `/api/v1/meetings/${meetingId}/join`, {
      token: member!.accessToken,
      body: {},
    });
    expect(back.body.code).to.equal(13);

    await api().ok('POST', `/api/v1/meetings/${meetingId}/host`, {
      token: host!.accessToken,
      body: { userId: other!.userId },
    });
    const formerHost = await api().call('POST', `/api/v1/meetings/${meetingId}/end`, {
      token: host!.accessToken,
    });
    expect(formerHost.body.code).to.equal(13);
    await api().ok('POST', `/api/v1/meetings/${meetingId}/end`, { token: other!.accessToken });
    await eventually(
      'the room is gone',
      async () => (await world().rooms.listRooms([roomName])).length === 0,
    );
    const late = await api().call('POST', `/api/v1/meetings/${meetingId}/join`, {
      token: host!.accessToken,
      body: {},
    });
    expect(late.body.code).to.equal(100107);
  });

  it('ends when its last participant leaves and LiveKit closes the room, so its time stops counting', async function () {
    // LiveKit closes a room its last participant left after the departure timeout (20 s by default).
    this.timeout(90_000);
    const host = await registerUser(api());
    const { meetingId } = await api().ok<{ meetingId: string }>('POST', '/api/v1/meetings', {
      token: host.accessToken,
      body: { title: 'stand-up' },
    });
    const ticket = await api().ok<Ticket>('POST', `/api/v1/meetings/${meetingId}/join`, {
      token: host.accessToken,
      body: {},
    });
    const participant = await Participant.join(ticket.url, ticket.token);
    await eventually(
      'in the room',
      async () => (await world().rooms.listParticipants(ticket.roomName)).length === 1,
    );
    await participant.leave();
    const ended = await eventually(
      'the meeting ended with its room',
      async () => {
        const meeting = await api().ok<{ status: string; endTime: string | null }>(
          'GET',
          `/api/v1/meetings/${meetingId}`,
          { token: host.accessToken },
        );
        return meeting.status === 'ended' ? meeting : undefined;
      },
      60_000,
    );
    expect(ended.endTime).to.be.a('string');
    const again = await api().call('POST', `/api/v1/meetings/${meetingId}/join`, {
      token: host.accessToken,
      body: {},
    });
    expect(again.body.code).to.equal(100107);
  });
});
