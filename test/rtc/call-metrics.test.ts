/**
 * Calls and meetings as Prometheus figures (issue 22), against a real LiveKit: each outcome of a
 * real call moves its counter in /metrics, the answered call its ringing and talk-time histograms,
 * the calls and meetings going on now show in the gauges, and a participant leaving a meeting's
 * room (LiveKit's participant_left webhook) adds their time.
 */
import { createHash } from 'node:crypto';
import { dispose } from '@livekit/rtc-node';
import { expect } from 'chai';
import { AccessToken, ParticipantInfo, WebhookEvent } from 'livekit-server-sdk';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { sleep } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { callers, Participant, RING_SECONDS, type RtcWorld, startRtcWorld } from './support.ts';

interface Ticket {
  callId: string;
  url: string;
  token: string;
}

/** The value of one series of a Prometheus text exposition (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

after(async () => {
  await dispose();
});

describe('rtc metrics: call outcomes, ringing and talk time, calls and meetings now', function () {
  this.timeout(120_000);
  let world: RtcWorld | undefined;
  const participants: Participant[] = [];

  before(async function () {
    this.timeout(180_000);
    await requirePostgres(this);
    world = await startRtcWorld('postgresql', { METRICS_PORT: '0' });
  });

  after(async () => {
    for (const participant of participants.splice(0)) await participant.leave().catch(() => {});
    await world?.stop();
  });

  const api = () => world!.platform.api;
  const scrape = async () => (await fetch(world!.platform.host.metricsUrl!)).text();
  const invite = (token: string, userId: string, callType: 'audio' | 'video') =>
    api().ok<Ticket>('POST', '/api/v1/calls/invite', { token, body: { userId, callType } });
  const put = (token: string, callId: string, action: string, body?: Record<string, unknown>) =>
    api().ok<Ticket>('PUT', `/api/v1/calls/${callId}/${action}`, { token, ...(body ? { body } : {}) });
  const ended = (callType: string, outcome: string) =>
    `anychat_rtc_calls_ended_total{call_type="${callType}",chat_type="single",outcome="${outcome}"}`;

  it('counts each outcome of real calls, times the answered one and shows the call in progress', async () => {
    const { a, b } = await callers(world!.platform);
    const before = await scrape();
    // Every outcome is a series from the start, at its value so far.
    for (const outcome of ['answered', 'declined', 'missed', 'cancelled'])
      expect(before).to.match(new RegExp(`^${ended('audio', outcome).replace(/[{}]/g, '\\$&')} \\d+$`, 'm'));
    const delta = async (series: string) => sample(await scrape(), series) - sample(before, series);

    // Answered: rings, is answered, both are in the room, then hung up.
    const call = await invite(a.accessToken, b.userId, 'audio');
    await Participant.talking(call.url, call.token, participants);
    await sleep(300);
    const answer = await put(b.accessToken, call.callId, 'accept');
    await Participant.talking(answer.url, answer.token, participants);
    const during = await scrape();
    expect(sample(during, 'anychat_rtc_calls_active{state="connected"}')).to.equal(1);
    expect(sample(during, 'anychat_rtc_calls_active{state="ringing"}')).to.equal(0);
    expect(
      sample(during, 'anychat_rtc_call_ringing_duration_seconds_count{call_type="audio"}') -
        sample(before, 'anychat_rtc_call_ringing_duration_seconds_count{call_type="audio"}'),
    ).to.equal(1);
    // It rang at least the 300 ms before the answer.
    expect(
      sample(during, 'anychat_rtc_call_ringing_duration_seconds_sum{call_type="audio"}') -
        sample(before, 'anychat_rtc_call_ringing_duration_seconds_sum{call_type="audio"}'),
    ).to.be.greaterThan(0.25);
    await sleep(1000);
    await put(a.accessToken, call.callId, 'hangup');
    const after = await scrape();
    expect(sample(after, ended('audio', 'answered')) - sample(before, ended('audio', 'answered'))).to.equal(
      1,
    );
    expect(await delta('anychat_rtc_call_duration_seconds_count{call_type="audio"}')).to.equal(1);
    expect(await delta('anychat_rtc_call_duration_seconds_sum{call_type="audio"}')).to.be.greaterThan(0.9);
    expect(sample(after, 'anychat_rtc_calls_active{state="connected"}')).to.equal(0);
    for (const participant of participants.splice(0)) await participant.leave();

    // Declined (a video call), cancelled by the caller while ringing, missed after the ring time.
    const declined = await invite(a.accessToken, b.userId, 'video');
    expect(sample(await scrape(), 'anychat_rtc_calls_active{state="ringing"}')).to.equal(1);
    await put(b.accessToken, declined.callId, 'reject', { reason: 'reject' });
    const cancelled = await invite(a.accessToken, b.userId, 'audio');
    await put(a.accessToken, cancelled.callId, 'hangup');
    await invite(a.accessToken, b.userId, 'audio');
    await eventually(
      'the unanswered call is missed',
      async () => (await delta(ended('audio', 'missed'))) === 1,
      (RING_SECONDS + 10) * 1000,
    );
    expect(await delta(ended('video', 'declined'))).to.equal(1);
    expect(await delta(ended('audio', 'cancelled'))).to.equal(1);
    expect(await delta(ended('audio', 'declined'))).to.equal(0);
    // Four invitations stored, none failed to set up; nothing rings any more.
    expect(
      (await delta('anychat_rtc_calls_started_total{call_type="audio",chat_type="single"}')) +
        (await delta('anychat_rtc_calls_started_total{call_type="video",chat_type="single"}')),
    ).to.equal(4);
    expect(await delta('anychat_rtc_call_setup_failures_total{call_type="audio"}')).to.equal(0);
    expect(sample(await scrape(), 'anychat_rtc_calls_active{state="ringing"}')).to.equal(0);
  });

  it('shows a running meeting and adds the time its participant spent in the room', async () => {
    const host = await registerUser(api());
    const before = await scrape();
    const { meetingId } = await api().ok<{ meetingId: string }>('POST', '/api/v1/meetings', {
      token: host.accessToken,
      body: { title: 'figures' },
    });
    expect(sample(await scrape(), 'anychat_rtc_meetings_active')).to.equal(
      sample(before, 'anychat_rtc_meetings_active') + 1,
    );
    const ticket = await api().ok<Ticket>('POST', `/api/v1/meetings/${meetingId}/join`, {
      token: host.accessToken,
      body: {},
    });
    const participant = await Participant.join(ticket.url, ticket.token);
    await sleep(2000);
    await participant.leave();
    const seconds = 'anychat_rtc_meeting_participant_seconds_total';
    await eventually(
      'the participant’s time is counted',
      async () => sample(await scrape(), seconds) - sample(before, seconds) >= 1.5,
      15_000,
    );
    expect(sample(await scrape(), seconds) - sample(before, seconds)).to.be.lessThan(10);
    await api().ok('POST', `/api/v1/meetings/${meetingId}/end`, { token: host.accessToken });
    expect(sample(await scrape(), 'anychat_rtc_meetings_active')).to.equal(
      sample(before, 'anychat_rtc_meetings_active'),
    );
  });

  it('counts a participant_left that LiveKit posts again once', async () => {
    const seconds = 'anychat_rtc_meeting_participant_seconds_total';
    const before = sample(await scrape(), seconds);
    const event = new WebhookEvent({
      id: 'EV_left_redelivered',
      createdAt: BigInt(Math.floor(Date.now() / 1000)),
      room: { name: 'meeting_424242' },
      participant: new ParticipantInfo({ identity: '1', joinedAtMs: BigInt(Date.now() - 60_000) }),
    });
    // Set after construction: the SDK's subclass resets `event` in its constructor.
    event.event = 'participant_left';
    const body = event.toJsonString();
    for (let delivery = 0; delivery < 2; delivery++) {
      const token = new AccessToken(world!.livekit.apiKey, world!.livekit.apiSecret);
      token.sha256 = createHash('sha256').update(body).digest('base64');
      const response = await fetch(`${world!.platform.host.url}/api/v1/rtc/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/webhook+json', authorization: await token.toJwt() },
        body,
      });
      expect(response.status).to.equal(200);
    }
    const added = sample(await scrape(), seconds) - before;
    expect(added).to.be.within(59, 70);
  });

  it('counts an invitation that fails because LiveKit is unreachable as a setup failure', async () => {
    const { a, b } = await callers(world!.platform);
    const failures = 'anychat_rtc_call_setup_failures_total{call_type="video"}';
    const before = sample(await scrape(), failures);
    await world!.livekit.stop();
    const refused = await api().call('POST', '/api/v1/calls/invite', {
      token: a.accessToken,
      body: { userId: b.userId, callType: 'video' },
    });
    expect(refused.status).to.be.at.least(500);
    expect(sample(await scrape(), failures) - before).to.equal(1);
  });
});
