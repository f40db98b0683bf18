import { expect } from 'chai';
import WebSocket from 'ws';
import { ErrorCode } from '../../services/platform/errors.ts';
import { signedInAdmin } from '../support/admins.ts';
import { registerUser } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

const LOOPBACK = ['127.0.0.1', '::ffff:127.0.0.1', '::1'];

/**
 * Where a login says it came from (X-Forwarded-For), and what the platform recorded: the device's
 * last address (device list) and the audit log's.
 */
async function loginRecordedFrom(platform: TestPlatform, forwardedFor: string) {
  const user = await registerUser(platform.api);
  const deviceId = `web-forwarded-${user.userId}`;
  const { accessToken } = await platform.api.ok<{ accessToken: string }>('POST', '/api/v1/auth/login', {
    body: { account: user.account, password: user.password, deviceType: 'PC', deviceId },
    headers: { 'x-forwarded-for': forwardedFor },
  });
  const { devices } = await platform.api.ok<{ devices: Array<{ deviceId: string; lastLoginIp: string }> }>(
    'GET',
    '/api/v1/auth/devices',
    { token: accessToken },
  );
  const adminToken = await signedInAdmin(platform, `auditor${user.userId.slice(-6)}`, 'auditor');
  const audited = await eventually('the login in the audit log', async () => {
    const { items } = await platform.api.ok<{ items: Array<{ ip: string | null }> }>(
      'GET',
      `/api/v1/admin/audit?action=user.login&userId=${user.userId}`,
      { token: adminToken },
    );
    return items[0];
  });
  return { device: devices.find((device) => device.deviceId === deviceId)!.lastLoginIp, audit: audited.ip };
}

/** Statuses of `count` calls to a per-address limited route, each claiming another address. */
async function statusesClaiming(
  platform: TestPlatform,
  path: string,
  count: number,
  forwarded: (i: number) => string,
) {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    // An empty body: refused (400) after the address limit has counted it, so nothing is hashed.
    const response = await platform.api.call('POST', path, {
      body: {},
      headers: { 'x-forwarded-for': forwarded(i) },
    });
    statuses.push(response.status);
    if (response.status === 429) expect(response.body.code).to.equal(ErrorCode.TOO_MANY_REQUESTS);
  }
  return statuses;
}

/** The HTTP status a WebSocket upgrade to `/ws` gets when it claims to come from `forwardedFor`. */
function upgradeStatus(platform: TestPlatform, forwardedFor: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${platform.host.url.replace('http', 'ws')}/ws`, {
      headers: { 'x-forwarded-for': forwardedFor },
    });
    ws.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('upgrade', (response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (error) => reject(error));
  });
}

describe('client addresses', function () {
  this.timeout(120_000);

  describe('with no trusted proxy (the default)', () => {
    let platform: TestPlatform;
    before(async () => {
      platform = await startPlatform('pglite', { RATE_LIMIT_FACTOR: '1' });
    });
    after(async () => {
      await platform?.stop();
    });

    it('records the TCP peer for devices and the audit log, not what X-Forwarded-For claims', async () => {
      const recorded = await loginRecordedFrom(platform, '203.0.113.7');
      expect(LOOPBACK).to.include(recorded.device);
      expect(LOOPBACK).to.include(recorded.audit);
    });

    it('lets no X-Forwarded-For get around the per-address limits of login and registration', async () => {
      for (const path of ['/api/v1/auth/login', '/api/v1/auth/register']) {
        const statuses = await statusesClaiming(platform, path, 40, (i) => `198.51.100.${i + 1}`);
        expect(statuses, path).to.include(429);
      }
    });
  });

  describe('behind a trusted proxy (TRUSTED_PROXIES=loopback)', () => {
    let platform: TestPlatform;
    before(async () => {
      platform = await startPlatform('pglite', { RATE_LIMIT_FACTOR: '1', TRUSTED_PROXIES: 'loopback' });
    });
    after(async () => {
      await platform?.stop();
    });

    it('records the address the proxy appended, not what the client wrote before it', async () => {
      const recorded = await loginRecordedFrom(platform, '198.51.100.1, 203.0.113.7');
      expect(recorded).to.deep.equal({ device: '203.0.113.7', audit: '203.0.113.7' });
    });

    it("limits the gateway's WebSocket connects per forwarded address, not per proxy", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 70; i++) statuses.push(await upgradeStatus(platform, '203.0.113.30'));
      expect(statuses).to.include(429);
      expect(await upgradeStatus(platform, '203.0.113.31')).to.equal(101);
    });

    it('limits each forwarded address on its own', async () => {
      const busy = await statusesClaiming(platform, '/api/v1/auth/login', 40, () => '203.0.113.20');
      expect(busy).to.include(429);
      const other = await statusesClaiming(platform, '/api/v1/auth/login', 1, () => '203.0.113.21');
      expect(other).to.deep.equal([400]);
    });
  });
});
