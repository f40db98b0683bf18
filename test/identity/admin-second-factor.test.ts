import { expect } from 'chai';
import { createAdminAccount } from '../../services/admin/index.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { authenticatorCode } from '../support/authenticator.ts';
import { requirePostgres } from '../support/backends.ts';
import { imctl, tempConfigPath } from '../support/imctl.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

const PASSWORD = 'correct horse battery';

interface Enroll {
  enroll: { secret: string; otpauthUri: string } | null;
}

describe('administrators sign in with a second factor (ADMIN_SECOND_FACTOR=required)', function () {
  this.timeout(90_000);
  let platform: TestPlatform;

  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', { ADMIN_SECOND_FACTOR: 'required' });
  });
  after(async () => {
    await platform?.stop();
  });

  const login = (username: string, otp?: string) =>
    platform.api.call<Enroll & { token: string; recoveryCodes?: string[] }>(
      'POST',
      '/api/v1/admin/auth/login',
      { body: { username, password: PASSWORD, ...(otp !== undefined ? { otp } : {}) } },
    );

  it('enrolls at the first login, then asks every login for a code; codes and recovery codes work once', async () => {
    await createAdminAccount(platform.host.databaseUrl, {
      username: 'totp1',
      password: PASSWORD,
      role: 'operator',
    });
    const first = await login('totp1');
    expect(first.status).to.equal(401);
    expect(first.body.code).to.equal(ErrorCode.SECOND_FACTOR_REQUIRED);
    const secret = first.body.data.enroll!.secret;
    expect(first.body.data.enroll!.otpauthUri).to.match(/^otpauth:\/\/totp\/.*secret=/);
    // Asking again shows the same secret: the one the app already holds.
    expect((await login('totp1')).body.data.enroll?.secret).to.equal(secret);

    const wrong = await login('totp1', authenticatorCode(secret) === '000000' ? '111111' : '000000');
    expect(wrong.body.code).to.equal(ErrorCode.SECOND_FACTOR_WRONG);
    const enrollingCode = authenticatorCode(secret);
    const enrolled = await login('totp1', enrollingCode);
    expect(enrolled.body.code, JSON.stringify(enrolled.body)).to.equal(0);
    const recoveryCodes = enrolled.body.data.recoveryCodes!;
    expect(recoveryCodes).to.have.length(10);
    const me = await platform.api.call('GET', '/api/v1/admin/auth/me', { token: enrolled.body.data.token });
    expect(me.status).to.equal(200);

    const noCode = await login('totp1');
    expect(noCode.body.code).to.equal(ErrorCode.SECOND_FACTOR_REQUIRED);
    expect(noCode.body.data.enroll).to.equal(null);
    // The code that enrolled was seen: replaying it is refused. The next step's code works.
    expect((await login('totp1', enrollingCode)).body.code).to.equal(ErrorCode.SECOND_FACTOR_WRONG);
    expect((await login('totp1', authenticatorCode(secret, 1))).body.code).to.equal(0);

    expect((await login('totp1', recoveryCodes[3]!.toUpperCase())).body.code).to.equal(0);
    expect((await login('totp1', recoveryCodes[3]!)).body.code).to.equal(ErrorCode.SECOND_FACTOR_WRONG);
    expect((await login('totp1', recoveryCodes[4]!)).body.code).to.equal(0);
  });

  it('imctl enrolls, signs in with --otp, and is refused without the second factor', async () => {
    await createAdminAccount(platform.host.databaseUrl, {
      username: 'totp2',
      password: PASSWORD,
      role: 'superadmin',
    });
    const config = tempConfigPath();
    const args = ['login', '--server', platform.host.url, '--username', 'totp2', '--password-stdin'];
    const needed = await imctl(args, { configPath: config, stdin: PASSWORD });
    expect(needed.code).to.equal(3);
    expect(needed.stderr).to.include('--otp');
    const secret = /key:\s+([A-Z2-7]+)/.exec(needed.stderr)?.[1];
    expect(secret, needed.stderr).to.be.a('string');
    const audit = await imctl(['audit'], { configPath: config });
    expect(audit.code, 'no token was stored').to.equal(3);

    const enrolled = await imctl([...args, '--otp', authenticatorCode(secret!)], {
      configPath: config,
      stdin: PASSWORD,
    });
    expect(enrolled.code, enrolled.stderr).to.equal(0);
    expect(enrolled.json<{ recoveryCodes: string[] }>().recoveryCodes).to.have.length(10);
    expect((await imctl(['audit'], { configPath: config })).code).to.equal(0);

    const withoutCode = await imctl(args, { configPath: tempConfigPath(), stdin: PASSWORD });
    expect(withoutCode.code).to.equal(3);
    expect(withoutCode.stderr).to.include('--otp').and.not.include('key:');
    const wrongCode = await imctl([...args, '--otp', '12345x'], {
      configPath: tempConfigPath(),
      stdin: PASSWORD,
    });
    expect(wrongCode.code).to.equal(3);
    expect(wrongCode.stderr).to.match(/login refused/);
  });
});
