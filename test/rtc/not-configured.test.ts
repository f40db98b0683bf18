import { expect } from 'chai';
import { signedInAdmin } from '../support/admins.ts';
import { registerUser } from '../support/api-client.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

describe('calls without LiveKit configured', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  before(async function () {
    this.timeout(180_000);
    platform = await startPlatform('pglite');
  });
  after(async () => {
    await platform?.stop();
  });

  it('every call and meeting route answers 100111 (400), never a 5xx', async () => {
    const user = await registerUser(platform.api);
    const requests: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/calls/invite', { userId: '123', callType: 'audio' }],
      ['PUT', '/api/v1/calls/123/accept'],
      ['PUT', '/api/v1/calls/123/reject', { reason: 'busy' }],
      ['PUT', '/api/v1/calls/123/hangup'],
      ['GET', '/api/v1/calls/token?callId=123'],
      ['GET', '/api/v1/calls'],
      ['GET', '/api/v1/calls/123'],
      ['POST', '/api/v1/meetings', { title: 'standup' }],
      ['POST', '/api/v1/meetings/123/join', {}],
      ['POST', '/api/v1/meetings/123/mute', {}],
    ];
    for (const [method, path, body] of requests) {
      const answer = await platform.api.call(method, path, { token: user.accessToken, body });
      expect(answer.status, path).to.equal(400);
      expect(answer.body.code, path).to.equal(100111);
      expect(answer.body.message, path).to.match(/not configured/);
    }
    const webhook = await platform.api.call('POST', '/api/v1/rtc/webhook', { body: {} });
    expect(webhook.body.code).to.equal(100111);
  });

  it("the admin's end of a meeting answers 100111 too; statistics still count calls (none)", async () => {
    const admin = await signedInAdmin(platform, 'rtc_off_operator', 'operator');
    const end = await platform.api.call('POST', '/api/v1/admin/meetings/123/end', { token: admin, body: {} });
    expect(end.status).to.equal(400);
    expect(end.body.code).to.equal(100111);
    const stats = await platform.api.ok<{ calls: Record<string, number> }>(
      'GET',
      '/api/v1/admin/stats?period=7d',
      { token: admin },
    );
    expect(stats.calls).to.deep.equal({
      periodMinutes: 7 * 1440,
      started: 0,
      answered: 0,
      missed: 0,
      meetings: 0,
      meetingMinutes: 0,
    });
    for (const period of ['0m', '367d', 'week']) {
      const refused = await platform.api.call('GET', `/api/v1/admin/stats?period=${period}`, {
        token: admin,
      });
      expect(refused.body.code, period).to.equal(1);
    }
  });

  it('the settings are all or nothing', async () => {
    const { loadConfig, ConfigError } = await import('../../services/platform/config.ts');
    expect(() => loadConfig({ LIVEKIT_URL: 'wss://livekit.example' })).to.throw(
      ConfigError,
      /LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET are set together/,
    );
    const config = loadConfig({
      LIVEKIT_URL: 'wss://lk.example',
      LIVEKIT_API_KEY: 'k',
      LIVEKIT_API_SECRET: 's',
    });
    expect(config.rtc.livekit).to.deep.include({ url: 'wss://lk.example', apiUrl: 'wss://lk.example' });
  });
});
