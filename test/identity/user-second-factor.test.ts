import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser, type SignedIn } from '../support/api-client.ts';
import { authenticatorCode } from '../support/authenticator.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

const otherThan = (code: string) => (code === '000000' ? '111111' : '000000');

describe('two-factor sign-in for users (optional) [pglite]', function () {
  // Starting the platform takes long on a loaded machine.
  this.timeout(120_000);
  let platform: TestPlatform;

  before(async () => {
    platform = await startPlatform('pglite');
  });
  after(async () => {
    await platform?.stop();
  });

  it('is set up from settings, then asked of new devices only; recovery codes work once; turned off with a code', async () => {
    const api = platform.api;
    const user = await registerUser(api);
    const { deviceToken } = user as typeof user & { deviceToken: string };
    const token = user.accessToken;
    const login = (deviceId: string, extra: Record<string, string> = {}) =>
      api.call<SignedIn>('POST', '/api/v1/auth/login', {
        body: { account: user.account, password: user.password, deviceType: 'iOS', deviceId, ...extra },
      });

    expect(await api.ok('GET', '/api/v1/auth/2fa', { token })).to.deep.equal({
      enabled: false,
      recoveryCodesLeft: 0,
    });
    const { secret, otpauthUri } = await api.ok<{ secret: string; otpauthUri: string }>(
      'POST',
      '/api/v1/auth/2fa/setup',
      { token },
    );
    expect(otpauthUri).to.include(`secret=${secret}`).and.include(user.account);
    // Set up but not on: sign-ins don't ask yet.
    expect((await login('phone-0')).body.code).to.equal(0);
    const wrong = await api.call('POST', '/api/v1/auth/2fa/enable', {
      token,
      body: { code: otherThan(authenticatorCode(secret)) },
    });
    expect(wrong.body.code).to.equal(ErrorCode.SECOND_FACTOR_WRONG);
    const enablingCode = authenticatorCode(secret);
    const { recoveryCodes } = await api.ok<{ recoveryCodes: string[] }>('POST', '/api/v1/auth/2fa/enable', {
      token,
      body: { code: enablingCode },
    });
    expect(recoveryCodes).to.have.length(10);
    expect(await api.ok('GET', '/api/v1/auth/2fa', { token })).to.deep.equal({
      enabled: true,
      recoveryCodesLeft: 10,
    });
    const again = await api.call('POST', '/api/v1/auth/2fa/setup', { token });
    expect(again.body.code).to.equal(ErrorCode.SECOND_FACTOR_STATE);

    // A new device: the code is asked, a wrong one and the one already used are refused.
    const asked = await login('phone-1');
    expect(asked.status).to.equal(401);
    expect(asked.body.code).to.equal(ErrorCode.SECOND_FACTOR_REQUIRED);
    expect(
      (await login('phone-1', { secondFactor: otherThan(authenticatorCode(secret, 1)) })).body.code,
    ).to.equal(ErrorCode.SECOND_FACTOR_WRONG);
    expect((await login('phone-1', { secondFactor: enablingCode })).body.code).to.equal(
      ErrorCode.SECOND_FACTOR_WRONG,
    );
    expect((await login('phone-1', { secondFactor: authenticatorCode(secret, 1) })).body.code).to.equal(0);
    // The registering device proves it signed in before: no code asked.
    const known = await api.call<SignedIn>('POST', '/api/v1/auth/login', {
      body: {
        account: user.account,
        password: user.password,
        deviceType: 'Web',
        deviceId: `web-${user.account}`,
        deviceToken,
      },
    });
    expect(known.body.code).to.equal(0);

    expect((await login('phone-2', { secondFactor: recoveryCodes[0]! })).body.code).to.equal(0);
    expect((await login('phone-3', { secondFactor: recoveryCodes[0]! })).body.code).to.equal(
      ErrorCode.SECOND_FACTOR_WRONG,
    );
    expect(await api.ok('GET', '/api/v1/auth/2fa', { token: known.body.data.accessToken })).to.deep.equal({
      enabled: true,
      recoveryCodesLeft: 9,
    });

    await api.ok('POST', '/api/v1/auth/2fa/disable', {
      token: known.body.data.accessToken,
      body: { code: recoveryCodes[1]! },
    });
    expect((await login('phone-4')).body.code).to.equal(0);
  });
});
