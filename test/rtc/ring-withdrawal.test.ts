/**
 * The ringing push of a call is withdrawn once the call is answered elsewhere or is over: the
 * callee's browser (not connected) is rung by Web Push through a loopback push service of the
 * test's own (real encryption and VAPID, test/support/web-push-endpoint.ts), and then gets a
 * silent push with the same Topic and notification tag that replaces the ringing notification.
 * A real LiveKit, since calls need one; the machine's PostgreSQL.
 */
import { dispose } from '@livekit/rtc-node';
import { expect } from 'chai';
import pg from 'pg';
import { webPushTopic } from '../../services/push/providers/index.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, loginDevice, type User } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { selfSignedCertificate, type TestCertificate } from '../support/tls.ts';
import { WebPushEndpoint } from '../support/web-push-endpoint.ts';
import { WsClient } from '../support/ws-client.ts';
import { callNotice, type RtcWorld, startRtcWorld } from './support.ts';

after(async () => {
  await dispose();
});

describe('calls: the ringing push is withdrawn once answered or over [postgresql]', function () {
  this.timeout(90_000);
  let world: RtcWorld;
  let endpoint: WebPushEndpoint;
  let certificate: TestCertificate;
  let db: pg.Pool;
  const api = () => world.platform.api;

  before(async function () {
    this.timeout(240_000);
    await requirePostgres(this);
    certificate = selfSignedCertificate();
    endpoint = await WebPushEndpoint.start(certificate);
    world = await startRtcWorld('postgresql', {
      PUSH_CA_FILE: certificate.certFile,
      PUSH_RETRY_BASE_MS: '20',
      PUSH_TTL_SECONDS: '3600',
      PUSH_VAPID_SUBJECT: 'mailto:ops@anychat.test',
    });
    db = new pg.Pool({ connectionString: world.platform.backend.env.DATABASE_URL, max: 2 });
  });
  after(async () => {
    await db?.end();
    await world?.stop();
    await endpoint?.close();
    certificate?.dispose();
  });

  /**
   * A caller, and a callee whose browser (their first device, never connected) has a Web Push
   * subscription and whose phone is connected over WebSocket.
   */
  async function callee(browser: string) {
    const caller = await registerUser(api(), { nickname: 'Caller' });
    const user: User = await registerUser(api(), { nickname: 'Callee' });
    await befriend(api(), caller, user);
    const pushToken = endpoint.subscribe(browser);
    await api().ok('POST', '/api/v1/users/push-token', {
      token: user.accessToken,
      body: { pushToken, platform: 'Web', language: 'en' },
    });
    await eventually('the push service learns the subscription', async () => {
      const { rows } = await db.query(
        `select 1 from "push"."push_registrations" where "user_id" = $1 and "push_token" = $2 and not "removed"`,
        [user.userId, pushToken],
      );
      return rows.length > 0;
    });
    const { accessToken: phoneToken } = await loginDevice(api(), user, 'iOS', `ios-${user.account}`);
    const phone = await WsClient.connect(world.platform.host.url, phoneToken);
    return { caller, user, phone, phoneToken };
  }

  const invite = (token: string, userId: string) =>
    api().ok<{ callId: string }>('POST', '/api/v1/calls/invite', {
      token,
      body: { userId, callType: 'video' },
    });
  // Pushes about the call itself (its record message in the conversation is pushed as a message).
  const pushesOf = (browser: string, callId: string) =>
    endpoint
      .pushesFor(browser)
      .filter((push) => (push.payload.data as { callId?: string }).callId === callId);
  const nthOf = async (browser: string, callId: string, index: number) => {
    await endpoint.until(`push ${index} of call ${callId}`, () => pushesOf(browser, callId).length >= index);
    return pushesOf(browser, callId)[index - 1]!;
  };

  it('answered on the phone: the browser is rung, then the ring is replaced by a silent push (same Topic and tag)', async () => {
    const { caller, user, phone, phoneToken } = await callee('answered-browser');
    const { callId } = await invite(caller.accessToken, user.userId);
    await callNotice(phone, 'call.invited', callId);

    const ring = await nthOf('answered-browser', callId, 1);
    expect(ring.payload).to.deep.include({
      title: 'Incoming video call',
      tag: `call:${callId}`,
      silent: false,
    });
    expect(ring.payload.data).to.deep.include({ type: 'call', callId, callerId: caller.userId });
    expect(ring.urgency).to.equal('high');
    expect(ring.topic).to.equal(webPushTopic(`call:${callId}`));

    await api().ok('PUT', `/api/v1/calls/${callId}/accept`, { token: phoneToken });
    const withdrawal = await nthOf('answered-browser', callId, 2);
    expect(withdrawal.payload).to.deep.include({ title: '', body: '', tag: `call:${callId}`, silent: true });
    expect(withdrawal.payload.data).to.deep.equal({
      type: 'call_withdrawn',
      callId,
      reason: 'call.accepted',
    });
    expect(withdrawal.topic).to.equal(ring.topic);
    expect(withdrawal.urgency).to.equal('high');

    // The call ends later: the ring was withdrawn already, nothing more is pushed for it.
    await api().ok('PUT', `/api/v1/calls/${callId}/hangup`, { token: caller.accessToken });
    await callNotice(phone, 'call.ended', callId);
    await world.platform.host.settled();
    expect(pushesOf('answered-browser', callId)).to.have.length(2);
    await phone.close();
  });

  it('cancelled by the caller or not answered in time: the ring is withdrawn as well', async () => {
    const { caller, user, phone } = await callee('unanswered-browser');
    const cancelled = await invite(caller.accessToken, user.userId);
    await nthOf('unanswered-browser', cancelled.callId, 1);
    await api().ok('PUT', `/api/v1/calls/${cancelled.callId}/hangup`, { token: caller.accessToken });
    const gone = await nthOf('unanswered-browser', cancelled.callId, 2);
    expect(gone.payload).to.deep.include({ tag: `call:${cancelled.callId}`, silent: true });
    expect(gone.payload.data).to.deep.equal({
      type: 'call_withdrawn',
      callId: cancelled.callId,
      reason: 'call.ended',
    });
    expect(gone.topic).to.equal(webPushTopic(`call:${cancelled.callId}`));

    const missed = await invite(caller.accessToken, user.userId);
    await nthOf('unanswered-browser', missed.callId, 1);
    // Nobody answers: the ring times out (RING_SECONDS) and the call is missed.
    const over = await callNotice(phone, 'call.ended', missed.callId, 20_000);
    expect(over.data.payload.status).to.equal('missed');
    const timedOut = await nthOf('unanswered-browser', missed.callId, 2);
    expect(timedOut.payload).to.deep.include({ tag: `call:${missed.callId}`, silent: true });
    expect((timedOut.payload.data as { type: string }).type).to.equal('call_withdrawn');
    await world.platform.host.settled();
    expect(pushesOf('unanswered-browser', missed.callId)).to.have.length(2);
    await phone.close();
  });
});
