/**
 * The administrator's side of calls and meetings, against a real LiveKit: ending a running meeting
 * for everyone through the admin API and `imctl meetings end` (participants are disconnected,
 * LiveKit's room is gone, the action is audited, and admins without `meetings:write` and chat users
 * are refused), and the statistics of calls (started, answered, missed) and meeting minutes that
 * `imctl stats` shows. A fresh embedded platform (PGlite), so that its statistics are this suite's.
 */
import { dispose } from '@livekit/rtc-node';
import { expect } from 'chai';
import { ADMIN_PASSWORD, signedInAdmin } from '../support/admins.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { imctl, loginAsRoot, tempConfigPath } from '../support/imctl.ts';
import { WsClient } from '../support/ws-client.ts';
import { callNotice, Participant, type RtcWorld, startRtcWorld } from './support.ts';

interface Ticket {
  callId: string;
  meetingId: string;
  roomName: string;
  url: string;
  token: string;
}

interface CallStats {
  periodMinutes: number;
  started: number;
  answered: number;
  missed: number;
  meetings: number;
  meetingMinutes: number;
}

interface Meeting {
  status: string;
  startTime: string | null;
  endTime: string | null;
}

after(async () => {
  await dispose();
});

describe('admin: ending meetings, and call statistics [pglite]', function () {
  this.timeout(120_000);
  let world: RtcWorld;
  const config = tempConfigPath();
  const root = (...args: string[]) => imctl(args, { configPath: config });
  const tokens: Record<'operator' | 'auditor', string> = { operator: '', auditor: '' };
  const participants: Participant[] = [];
  const api = () => world.platform.api;

  before(async function () {
    this.timeout(240_000);
    world = await startRtcWorld('pglite');
    await loginAsRoot(world.platform.host, config, ADMIN_PASSWORD);
    tokens.operator = await signedInAdmin(world.platform, 'rtc_operator', 'operator');
    tokens.auditor = await signedInAdmin(world.platform, 'rtc_auditor', 'auditor');
  });
  afterEach(async () => {
    for (const participant of participants.splice(0)) await participant.leave().catch(() => {});
  });
  after(async () => {
    await world?.stop();
  });

  /** A running meeting with its host and a member in LiveKit's room, each publishing a microphone. */
  async function runningMeeting(title: string) {
    const [host, member] = await Promise.all([registerUser(api()), registerUser(api())]);
    const { meetingId } = await api().ok<{ meetingId: string }>('POST', '/api/v1/meetings', {
      token: host.accessToken,
      body: { title },
    });
    const joined: Participant[] = [];
    let roomName = '';
    for (const user of [host, member]) {
      const ticket = await api().ok<Ticket>('POST', `/api/v1/meetings/${meetingId}/join`, {
        token: user.accessToken,
        body: {},
      });
      roomName = ticket.roomName;
      const participant = await Participant.join(ticket.url, ticket.token);
      participants.push(participant);
      joined.push(participant);
      await participant.publishAudio();
    }
    await eventually(
      'both are in the room',
      async () => (await world.rooms.listParticipants(roomName)).length === 2,
    );
    return { host, member, meetingId, roomName, joined };
  }

  const meetingOf = (token: string, meetingId: string) =>
    api().ok<Meeting>('GET', `/api/v1/meetings/${meetingId}`, { token });
  const endPath = (meetingId: string) => `/api/v1/admin/meetings/${meetingId}/end`;

  it('an operator ends a running meeting for everyone: participants are disconnected, the room is gone, audited', async () => {
    const { host, member, meetingId, roomName, joined } = await runningMeeting('to be closed');

    // Refused: an auditor (no meetings:write), a chat user's token, the host's own token on the admin route.
    const auditor = await api().call('POST', endPath(meetingId), { token: tokens.auditor, body: {} });
    expect(auditor.status).to.equal(403);
    expect(auditor.body.code).to.equal(120103);
    const chatUser = await api().call('POST', endPath(meetingId), { token: host.accessToken, body: {} });
    expect(chatUser.body.code).to.not.equal(0);
    expect((await world.rooms.listRooms([roomName])).length).to.equal(1);
    expect((await meetingOf(host.accessToken, meetingId)).status).to.equal('active');

    const ended = await api().ok<Record<string, unknown>>('POST', endPath(meetingId), {
      token: tokens.operator,
      body: { reason: 'abuse report' },
    });
    expect(ended).to.deep.equal({
      meetingId,
      status: 'ended',
      title: 'to be closed',
      hostId: host.userId,
      participants: 2,
    });
    await eventually('every participant is disconnected', () => joined.every((p) => !p.room.isConnected));
    await eventually(
      "LiveKit's room is gone",
      async () => (await world.rooms.listRooms([roomName])).length === 0,
    );
    const meeting = await meetingOf(host.accessToken, meetingId);
    expect(meeting.status).to.equal('ended');
    expect(meeting.endTime).to.be.a('string');
    const again = await api().call('POST', `/api/v1/meetings/${meetingId}/join`, {
      token: member.accessToken,
      body: {},
    });
    expect(again.body.code).to.equal(100107);
    const twice = await api().call('POST', endPath(meetingId), { token: tokens.operator, body: {} });
    expect(twice.body.code).to.equal(100107);
    const unknown = await api().call('POST', endPath('1'), { token: tokens.operator, body: {} });
    expect(unknown.body.code).to.equal(100106);

    const audit = await root('audit', '--action', 'meeting.end', '-o', 'json');
    expect(audit.code, audit.stderr).to.equal(0);
    const entry = audit
      .json<{ items: Array<Record<string, unknown>> }>()
      .items.find((item) => item.resourceId === meetingId);
    expect(entry).to.deep.include({ actorName: 'rtc_operator', resourceType: 'meeting' });
    expect(entry!.details).to.deep.include({ reason: 'abuse report', participants: 2, hostId: host.userId });
  });

  it('imctl meetings end closes a meeting, with exit codes for what is unknown or already over', async () => {
    const { meetingId, roomName, joined } = await runningMeeting('closed from the CLI');
    const ended = await root('meetings', 'end', meetingId, '--reason', 'spam', '-o', 'json');
    expect(ended.code, ended.stderr).to.equal(0);
    expect(ended.json()).to.include({ meetingId, status: 'ended', participants: 2 });
    await eventually('every participant is disconnected', () => joined.every((p) => !p.room.isConnected));
    expect(await world.rooms.listRooms([roomName])).to.have.length(0);

    const table = await root('meetings', 'end', meetingId, '-o', 'table');
    expect(table.code).to.equal(1);
    expect(table.stderr).to.match(/ended/i);
    expect((await root('meetings', 'end', '1')).code).to.equal(6);
    expect((await root('meetings', 'end', 'not-an-id')).code).to.equal(2);
  });

  it('statistics count a missed and an answered call and the minutes of a meeting (API and imctl stats)', async function () {
    this.timeout(90_000);
    const stats = async () =>
      (await api().ok<{ calls: CallStats }>('GET', '/api/v1/admin/stats', { token: tokens.auditor })).calls;
    // Meetings of the earlier tests are over: nothing else runs while this one is measured.
    const before = await stats();
    expect(before.periodMinutes).to.equal(24 * 60);

    const [a, b] = [await registerUser(api()), await registerUser(api())];
    await befriend(api(), a, b);
    const wsA = await WsClient.connect(world.platform.host.url, a.accessToken);
    const wsB = await WsClient.connect(world.platform.host.url, b.accessToken);
    const invite = () =>
      api().ok<Ticket>('POST', '/api/v1/calls/invite', {
        token: a.accessToken,
        body: { userId: b.userId, callType: 'audio' },
      });
    // Nobody answers: missed once the ring times out.
    const missed = await invite();
    const over = await callNotice(wsA, 'call.ended', missed.callId, 20_000);
    expect(over.data.payload.status).to.equal('missed');
    // Answered, then hung up.
    const answered = await invite();
    await callNotice(wsB, 'call.invited', answered.callId);
    await api().ok('PUT', `/api/v1/calls/${answered.callId}/accept`, { token: b.accessToken });
    await api().ok('PUT', `/api/v1/calls/${answered.callId}/hangup`, { token: a.accessToken });
    await callNotice(wsB, 'call.ended', answered.callId);

    // A meeting of a few seconds, ended by its host.
    const { host, meetingId } = await runningMeeting('measured');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await api().ok('POST', `/api/v1/meetings/${meetingId}/end`, { token: host.accessToken });
    const meeting = await meetingOf(host.accessToken, meetingId);
    const seconds = (Date.parse(meeting.endTime!) - Date.parse(meeting.startTime!)) / 1000;
    expect(seconds).to.be.at.least(3);

    const after = await stats();
    expect(after.started - before.started).to.equal(2);
    expect(after.answered - before.answered).to.equal(1);
    expect(after.missed - before.missed).to.equal(1);
    expect(after.meetings - before.meetings).to.equal(1);
    expect(after.meetingMinutes - before.meetingMinutes).to.be.closeTo(seconds / 60, 0.02);

    const shown = await root('stats', '--period', '2h', '-o', 'json');
    expect(shown.code, shown.stderr).to.equal(0);
    expect(shown.json<{ calls: CallStats }>().calls).to.deep.include({
      periodMinutes: 120,
      started: after.started,
      answered: after.answered,
      missed: after.missed,
    });
    const table = await root('stats', '--period', '2h', '-o', 'table');
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(
      new RegExp(
        `Calls \\(2h\\):\\s+${after.started} started, ${after.answered} answered, ${after.missed} missed`,
      ),
    );
    expect(table.stdout).to.match(/Meetings \(2h\):\s+\d+ held, [\d.]+ minutes/);
    expect((await root('stats', '--period', 'soon')).code).to.equal(2);
    await wsA.close();
    await wsB.close();
  });
});
