import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser, type SignedIn, uniqueAccount } from '../support/api-client.ts';
import { CodeGateway } from '../support/code-gateway.ts';
import { forEachBackend, startPlatform, type TestPlatform } from '../support/platform.ts';

forEachBackend('auth over HTTP', (platform) => {
  const api = () => platform().api;

  it('registers, logs in by account, and serves a profile with the access token', async () => {
    const alice = await registerUser(api(), { nickname: 'Alice' });
    expect(alice.userId).to.match(/^[1-9][0-9]+$/);
    expect(alice.expiresIn).to.equal(7200);
    const login = await api().ok<SignedIn & { user: { account: string } }>('POST', '/api/v1/auth/login', {
      body: {
        account: alice.account.toUpperCase(),
        password: alice.password,
        deviceType: 'iOS',
        deviceId: 'iphone-1',
      },
    });
    expect(login.userId).to.equal(alice.userId);
    expect(login.user.account).to.equal(alice.account);
    const me = await api().ok<{ userId: string; nickname: string }>('GET', '/api/v1/users/me', {
      token: login.accessToken,
    });
    expect(me).to.include({ userId: alice.userId, nickname: 'Alice' });
  });

  it('refuses a taken account, a weak password, and bad phone or e-mail with their codes', async () => {
    const taken = await registerUser(api());
    const again = await api().call('POST', '/api/v1/auth/register', {
      body: { account: taken.account, password: 'passw0rdOK', deviceType: 'Web', deviceId: 'x' },
    });
    expect(again.status).to.equal(400);
    expect(again.body.code).to.equal(ErrorCode.USER_EXISTS);
    for (const [password, code] of [
      ['short1', ErrorCode.WEAK_PASSWORD],
      ['lettersonly', ErrorCode.WEAK_PASSWORD],
      ['1234567890', ErrorCode.WEAK_PASSWORD],
    ] as const) {
      const weak = await api().call('POST', '/api/v1/auth/register', {
        body: { account: uniqueAccount(), password, deviceType: 'Web', deviceId: 'x' },
      });
      expect(weak.body.code, password).to.equal(code);
    }
    const phone = await api().call('POST', '/api/v1/auth/register', {
      body: {
        account: uniqueAccount(),
        password: 'passw0rdOK',
        phoneNumber: '12ab',
        deviceType: 'Web',
        deviceId: 'x',
      },
    });
    expect(phone.body.code).to.equal(ErrorCode.BAD_PHONE);
    const email = await api().call('POST', '/api/v1/auth/register', {
      body: {
        account: uniqueAccount(),
        password: 'passw0rdOK',
        email: 'not-an-email',
        deviceType: 'Web',
        deviceId: 'x',
      },
    });
    expect(email.body.code).to.equal(ErrorCode.BAD_EMAIL);
  });

  it('logs in by phone or e-mail, and gives one error for unknown accounts and wrong passwords', async () => {
    const phoneNumber = `+86138${String(Date.now()).slice(-8)}`;
    const email = `${uniqueAccount('mail')}@example.com`;
    const user = await registerUser(api(), { phoneNumber, email });
    for (const account of [phoneNumber, email.toUpperCase()]) {
      const login = await api().ok<SignedIn>('POST', '/api/v1/auth/login', {
        body: { account, password: user.password, deviceType: 'Web', deviceId: 'web-2' },
      });
      expect(login.userId).to.equal(user.userId);
    }
    const wrong = await api().call('POST', '/api/v1/auth/login', {
      body: { account: user.account, password: 'wrongPass1', deviceType: 'Web', deviceId: 'w' },
    });
    const unknown = await api().call('POST', '/api/v1/auth/login', {
      body: { account: uniqueAccount('ghost'), password: 'wrongPass1', deviceType: 'Web', deviceId: 'w' },
    });
    expect(wrong.status).to.equal(401);
    expect(unknown.status).to.equal(401);
    expect(wrong.body.code).to.equal(ErrorCode.WRONG_PASSWORD);
    expect(unknown.body.code).to.equal(ErrorCode.WRONG_PASSWORD);
    expect(unknown.body.message).to.equal(wrong.body.message);
  });

  it('rotates refresh tokens, and reuse of a rotated one revokes the whole family', async () => {
    const user = await registerUser(api());
    const first = await api().ok<SignedIn>('POST', '/api/v1/auth/refresh', { token: user.refreshToken });
    expect(first.refreshToken).to.not.equal(user.refreshToken);
    const second = await api().ok<SignedIn>('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    });
    // The old token again: a thief or a replay. The family dies, including the newest tokens.
    const reuse = await api().call('POST', '/api/v1/auth/refresh', { token: user.refreshToken });
    expect(reuse.status).to.equal(401);
    expect(reuse.body.code).to.equal(ErrorCode.REFRESH_TOKEN_INVALID);
    const newest = await api().call('POST', '/api/v1/auth/refresh', { token: second.refreshToken });
    expect(newest.body.code).to.equal(ErrorCode.REFRESH_TOKEN_INVALID);
    const me = await api().call('GET', '/api/v1/users/me', { token: second.accessToken });
    expect(me.status).to.equal(401);
    expect(me.body.code).to.equal(ErrorCode.TOKEN_INVALID);
  });

  it('logs out: the access and refresh tokens of that device stop working, other devices keep theirs', async () => {
    const user = await registerUser(api());
    const phone = await api().ok<SignedIn>('POST', '/api/v1/auth/login', {
      body: { account: user.account, password: user.password, deviceType: 'Android', deviceId: 'android-1' },
    });
    await api().ok('POST', '/api/v1/auth/logout', { token: user.accessToken });
    expect((await api().call('GET', '/api/v1/users/me', { token: user.accessToken })).status).to.equal(401);
    expect(
      (await api().call('POST', '/api/v1/auth/refresh', { token: user.refreshToken })).body.code,
    ).to.equal(ErrorCode.REFRESH_TOKEN_INVALID);
    expect((await api().call('GET', '/api/v1/users/me', { token: phone.accessToken })).status).to.equal(200);
  });

  it('keeps one session per device type: a newer login on the same type signs the older one out', async () => {
    const user = await registerUser(api());
    const pc1 = await api().ok<SignedIn>('POST', '/api/v1/auth/login', {
      body: { account: user.account, password: user.password, deviceType: 'PC', deviceId: 'pc-1' },
    });
    const pc2 = await api().ok<SignedIn>('POST', '/api/v1/auth/login', {
      body: { account: user.account, password: user.password, deviceType: 'PC', deviceId: 'pc-2' },
    });
    expect((await api().call('GET', '/api/v1/users/me', { token: pc1.accessToken })).status).to.equal(401);
    expect((await api().call('GET', '/api/v1/users/me', { token: pc2.accessToken })).status).to.equal(200);
    // The Web session from registration is another type and stays.
    expect((await api().call('GET', '/api/v1/users/me', { token: user.accessToken })).status).to.equal(200);
    const { devices } = await api().ok<{
      devices: Array<{ deviceId: string; signedIn: boolean; current: boolean }>;
    }>('GET', '/api/v1/auth/devices', { token: pc2.accessToken });
    const byId = Object.fromEntries(devices.map((device) => [device.deviceId, device]));
    expect(byId['pc-1']?.signedIn).to.equal(false);
    expect(byId['pc-2']).to.include({ signedIn: true, current: true });
  });

  it('changes the password: other devices are signed out, the old password stops working', async () => {
    const user = await registerUser(api());
    const other = await api().ok<SignedIn>('POST', '/api/v1/auth/login', {
      body: { account: user.account, password: user.password, deviceType: 'iOS', deviceId: 'ios-9' },
    });
    const wrongOld = await api().call('POST', '/api/v1/auth/password/change', {
      token: user.accessToken,
      body: { oldPassword: 'notMine123', newPassword: 'newPassw0rd' },
    });
    expect(wrongOld.body.code).to.equal(ErrorCode.WRONG_PASSWORD);
    const result = await api().ok<{ signedOutDevices: number }>('POST', '/api/v1/auth/password/change', {
      token: user.accessToken,
      body: { oldPassword: user.password, newPassword: 'newPassw0rd' },
    });
    expect(result.signedOutDevices).to.equal(1);
    expect((await api().call('GET', '/api/v1/users/me', { token: other.accessToken })).status).to.equal(401);
    expect((await api().call('GET', '/api/v1/users/me', { token: user.accessToken })).status).to.equal(200);
    const old = await api().call('POST', '/api/v1/auth/login', {
      body: { account: user.account, password: user.password, deviceType: 'Web', deviceId: 'w' },
    });
    expect(old.body.code).to.equal(ErrorCode.WRONG_PASSWORD);
  });

  it('kicks one of my other devices, but not someone else’s', async () => {
    const user = await registerUser(api());
    const tablet = await api().ok<SignedIn>('POST', '/api/v1/auth/login', {
      body: { account: user.account, password: user.password, deviceType: 'Android', deviceId: 'tablet' },
    });
    const stranger = await registerUser(api());
    const notMine = await api().call('DELETE', '/api/v1/auth/devices/tablet', {
      token: stranger.accessToken,
    });
    expect(notMine.status).to.equal(404);
    expect((await api().call('GET', '/api/v1/users/me', { token: tablet.accessToken })).status).to.equal(200);
    await api().ok('DELETE', '/api/v1/auth/devices/tablet', { token: user.accessToken });
    expect((await api().call('GET', '/api/v1/users/me', { token: tablet.accessToken })).status).to.equal(401);
  });

  it('refuses forged, expired-looking and missing tokens', async () => {
    const user = await registerUser(api());
    const [header, payload] = user.accessToken.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    for (const token of [forged, 'not-a-jwt', user.refreshToken]) {
      const response = await api().call('GET', '/api/v1/users/me', { token });
      expect(response.status, token).to.equal(401);
      expect(response.body.code).to.equal(ErrorCode.TOKEN_INVALID);
    }
    const none = await api().call('GET', '/api/v1/users/me');
    expect(none.status).to.equal(401);
    expect(none.body.code).to.equal(ErrorCode.UNAUTHENTICATED);
  });

  it('serves the JWKS that verifies access tokens', async () => {
    const jwks = await api().ok<{ keys: Array<{ kty: string; kid: string; d?: string }> }>(
      'GET',
      '/api/v1/auth/jwks',
    );
    expect(jwks.keys).to.not.be.empty;
    expect(jwks.keys[0]).to.include({ kty: 'EC' });
    expect(jwks.keys[0]).to.not.have.property('d'); // never the private part
  });

  it('reports password reset as disabled when no code sender is configured', async () => {
    const response = await api().call('POST', '/api/v1/auth/password/reset', {
      body: { email: 'a@example.com', verifyCode: '123456', newPassword: 'newPassw0rd' },
    });
    expect(response.status).to.equal(503);
    expect(response.body.code).to.equal(ErrorCode.SERVICE_UNAVAILABLE);
    expect(response.body.message).to.match(/disabled/);
  });
});

forEachBackend(
  'login throttling',
  (platform) => {
    it('backs an address off an account after repeated failures, even for the right password', async () => {
      const api = platform().api;
      const user = await registerUser(api);
      for (let i = 0; i < 3; i++) {
        const wrong = await api.call('POST', '/api/v1/auth/login', {
          body: { account: user.account, password: 'wrongPass1', deviceType: 'Web', deviceId: 'w' },
        });
        expect(wrong.body.code).to.equal(ErrorCode.WRONG_PASSWORD);
      }
      const locked = await api.call('POST', '/api/v1/auth/login', {
        body: { account: user.account, password: user.password, deviceType: 'Web', deviceId: 'w' },
      });
      expect(locked.status).to.equal(429);
      expect(locked.body.code).to.equal(ErrorCode.TOO_MANY_REQUESTS);
      // The first backoff wait (AUTH_LOGIN_BACKOFF_SECONDS), counted from the last failure.
      expect(Number(locked.headers.get('retry-after'))).to.be.within(1, 30);
    });

    it('limits requests per client address on unauthenticated routes', async () => {
      const api = platform().api;
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const response = await api.call('POST', '/api/v1/auth/password/reset', {
          body: { email: 'a@example.com', verifyCode: '123456', newPassword: 'newPassw0rd' },
        });
        statuses.push(response.status);
      }
      expect(statuses.slice(0, 5)).to.deep.equal([503, 503, 503, 503, 503]);
      expect(statuses.slice(5)).to.deep.equal([429, 429]);
    });
  },
  { AUTH_LOGIN_MAX_FAILURES: '3', AUTH_LOGIN_LOCK_SECONDS: '600', RATE_LIMIT_FACTOR: '1' },
);

describe('verification codes through a real webhook sender [pglite]', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  let gateway: CodeGateway;

  before(async () => {
    gateway = await CodeGateway.start();
    platform = await startPlatform('pglite', {
      AUTH_CODE_WEBHOOK_URL: gateway.url,
      AUTH_CODE_RESEND_SECONDS: '0',
    });
  });
  after(async () => {
    await platform?.stop();
    gateway?.close();
  });

  it('requires a code for e-mail registration, and resets a password with one', async () => {
    const api = platform.api;
    const email = `${uniqueAccount('v')}@example.com`;
    const account = uniqueAccount();
    const noCode = await api.call('POST', '/api/v1/auth/register', {
      body: { account, email, password: 'passw0rdOK', deviceType: 'Web', deviceId: 'w' },
    });
    expect(noCode.body.code).to.equal(ErrorCode.INVALID_PARAMS);
    await api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'register' } });
    const code = gateway.lastTo(email);
    expect(code).to.include({ channel: 'email', target: email, purpose: 'register' });
    const wrong = await api.call('POST', '/api/v1/auth/register', {
      body: {
        account,
        email,
        password: 'passw0rdOK',
        verifyCode: code.code === '000000' ? '111111' : '000000',
        deviceType: 'Web',
        deviceId: 'w',
      },
    });
    expect(wrong.body.code).to.equal(ErrorCode.VERIFY_CODE_WRONG);
    const user = await registerUser(api, { account, email, verifyCode: code.code });

    await api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'reset_password' } });
    const resetCode = gateway.lastTo(email);
    expect(resetCode.purpose).to.equal('reset_password');
    await api.ok('POST', '/api/v1/auth/password/reset', {
      body: { email, verifyCode: resetCode.code, newPassword: 'brandNew99' },
    });
    // The code is single-use, every device is signed out, and the new password works.
    const reused = await api.call('POST', '/api/v1/auth/password/reset', {
      body: { email, verifyCode: resetCode.code, newPassword: 'brandNew98' },
    });
    expect(reused.body.code).to.equal(ErrorCode.VERIFY_CODE_EXPIRED);
    expect((await api.call('GET', '/api/v1/users/me', { token: user.accessToken })).status).to.equal(401);
    await api.ok('POST', '/api/v1/auth/login', {
      body: { account: email, password: 'brandNew99', deviceType: 'Web', deviceId: 'w' },
    });
  });
});
