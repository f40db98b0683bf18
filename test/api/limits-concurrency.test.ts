/**
 * Limits hammered in parallel over HTTP (embedded platform on PostgreSQL, so requests really run
 * at once): every attempt is counted before it is answered, so N parallel guesses never get more
 * answers than the limit allows, and a stranger's failures do not keep an account's owner out.
 * Each test talks from its own loopback addresses so that per-address tallies stay apart.
 */
import { expect } from 'chai';
import { createAdminAccount } from '../../services/admin/index.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { AddressedApiClient } from '../support/address-client.ts';
import { type ApiClient, type ApiResponse, uniqueAccount } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { CodeGateway } from '../support/code-gateway.ts';
import { eventually } from '../support/eventually.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

const PASSWORD = 'passw0rdOK';
const PARALLEL = 40;
/** Guesses a verification code allows (VerificationCodes). */
const CODE_ATTEMPTS = 5;
const LOGIN_MAX_FAILURES = 5;
const ACCOUNT_MAX_FAILURES = 8;

/** How many answers carried each business code. */
function tally(responses: ApiResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.body.code] = (counts[response.body.code] ?? 0) + 1;
  return counts;
}

/** `count` six-digit codes, none of them `right`. */
const wrongCodes = (right: string, count: number) =>
  Array.from({ length: count }, (_, i) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0'));

describe('limits under parallel requests (embedded platform, PostgreSQL)', function () {
  this.timeout(120_000);
  let platform: TestPlatform;
  let gateway: CodeGateway;
  const from = (address: string) => new AddressedApiClient(platform.host.url, address);

  before(async function () {
    await requirePostgres(this);
    gateway = await CodeGateway.start();
    platform = await startPlatform('postgresql', {
      AUTH_CODE_WEBHOOK_URL: gateway.url,
      AUTH_LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES),
      AUTH_LOGIN_ACCOUNT_MAX_FAILURES: String(ACCOUNT_MAX_FAILURES),
      // One code per target per second: the registration code's interval is over by the reset.
      AUTH_CODE_RESEND_SECONDS: '1',
    });
  });
  after(async () => {
    await platform?.stop();
    gateway?.close();
  });

  /** Registers an account with an e-mail address (codes are on, so through a registration code). */
  async function registerWithEmail(api: ApiClient, deviceId = 'web-1') {
    const email = `${uniqueAccount('mail')}@example.com`;
    await api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'register' } });
    const account = uniqueAccount();
    const signedIn = await api.ok<{ userId: string; accessToken: string; deviceToken: string }>(
      'POST',
      '/api/v1/auth/register',
      {
        body: {
          account,
          email,
          password: PASSWORD,
          verifyCode: gateway.lastTo(email).code,
          deviceType: 'Web',
          deviceId,
        },
      },
    );
    return { ...signedIn, account, email };
  }

  /** Asks for a reset code once the target's resend interval allows; the code sent. */
  async function resetCode(api: ApiClient, email: string) {
    await eventually('a reset code sent', async () => {
      const ask = await api.call('POST', '/api/v1/auth/verify-code', {
        body: { email, purpose: 'reset_password' },
      });
      return ask.body.code === 0;
    });
    return gateway.lastTo(email).code;
  }

  const login = (api: ApiClient, account: string, password: string, extra: Record<string, unknown> = {}) =>
    api.call<{ deviceToken: string }>('POST', '/api/v1/auth/login', {
      body: { account, password, deviceType: 'Web', deviceId: 'web-1', ...extra },
    });

  it(`answers only ${CODE_ATTEMPTS} of ${PARALLEL} parallel wrong reset-code guesses, and the code is dead after them`, async () => {
    const api = from('127.0.0.10');
    const user = await registerWithEmail(api);
    const right = await resetCode(api, user.email);

    const guesses = await Promise.all(
      wrongCodes(right, PARALLEL).map((verifyCode) =>
        api.call('POST', '/api/v1/auth/password/reset', {
          body: { email: user.email, verifyCode, newPassword: 'takenOver99' },
        }),
      ),
    );
    const answers = tally(guesses);
    expect(answers[ErrorCode.VERIFY_CODE_WRONG], JSON.stringify(answers)).to.equal(CODE_ATTEMPTS);
    expect(answers[ErrorCode.VERIFY_CODE_EXPIRED], JSON.stringify(answers)).to.equal(
      PARALLEL - CODE_ATTEMPTS,
    );

    const late = await api.call('POST', '/api/v1/auth/password/reset', {
      body: { email: user.email, verifyCode: right, newPassword: 'takenOver99' },
    });
    expect(late.body.code).to.equal(ErrorCode.VERIFY_CODE_EXPIRED);
    expect((await login(api, user.account, 'takenOver99')).body.code).to.equal(ErrorCode.WRONG_PASSWORD);
    expect((await login(api, user.account, PASSWORD)).body.code).to.equal(0);
  });

  it('lets exactly one of two parallel right reset-code uses through', async () => {
    const api = from('127.0.0.11');
    const user = await registerWithEmail(api);
    const right = await resetCode(api, user.email);
    const uses = await Promise.all(
      ['firstNew11', 'secondNew22'].map((newPassword) =>
        api.call('POST', '/api/v1/auth/password/reset', {
          body: { email: user.email, verifyCode: right, newPassword },
        }),
      ),
    );
    expect(uses.map((use) => use.body.code).sort((a, b) => a - b)).to.deep.equal([
      0,
      ErrorCode.VERIFY_CODE_EXPIRED,
    ]);
  });

  it(`answers only ${CODE_ATTEMPTS} of ${PARALLEL} parallel wrong registration-code guesses, and the code is dead after them`, async () => {
    const api = from('127.0.0.12');
    const email = `${uniqueAccount('mail')}@example.com`;
    await api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'register' } });
    const right = gateway.lastTo(email).code;
    const register = (account: string, verifyCode: string) =>
      api.call('POST', '/api/v1/auth/register', {
        body: { account, email, password: PASSWORD, verifyCode, deviceType: 'Web', deviceId: 'w' },
      });

    const guesses = await Promise.all(
      wrongCodes(right, PARALLEL).map((code) => register(uniqueAccount(), code)),
    );
    const answers = tally(guesses);
    expect(answers[ErrorCode.VERIFY_CODE_WRONG], JSON.stringify(answers)).to.equal(CODE_ATTEMPTS);
    expect(answers[ErrorCode.VERIFY_CODE_EXPIRED], JSON.stringify(answers)).to.equal(
      PARALLEL - CODE_ATTEMPTS,
    );
    expect((await register(uniqueAccount(), right)).body.code).to.equal(ErrorCode.VERIFY_CODE_EXPIRED);
  });

  it('sends one code per target per resend interval, however many ask at once', async () => {
    const api = from('127.0.0.13');
    const email = `${uniqueAccount('mail')}@example.com`;
    const asks = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.call('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'register' } }),
      ),
    );
    expect(asks.map((ask) => ask.body.code).sort((a, b) => a - b)).to.deep.equal([
      0,
      ...Array(9).fill(ErrorCode.TOO_MANY_REQUESTS),
    ]);
    expect(gateway.sent.filter((sent) => sent.target === email)).to.have.length(1);
  });

  it(`answers ${LOGIN_MAX_FAILURES} of ${PARALLEL} parallel wrong logins from one address and refuses the rest`, async () => {
    const owner = from('127.0.0.14');
    const user = await registerWithEmail(owner);
    const attacker = from('127.0.0.15');
    const guesses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => login(attacker, user.account, `wrongPass${i}`)),
    );
    const answers = tally(guesses);
    expect(answers[ErrorCode.WRONG_PASSWORD], JSON.stringify(answers)).to.equal(LOGIN_MAX_FAILURES);
    expect(answers[ErrorCode.TOO_MANY_REQUESTS], JSON.stringify(answers)).to.equal(
      PARALLEL - LOGIN_MAX_FAILURES,
    );
    for (const guess of guesses.filter((g) => g.status === 429))
      expect(Number(guess.headers.get('retry-after'))).to.be.greaterThan(0);
    // That address now waits, even with the right password; the owner's own address does not.
    expect((await login(attacker, user.account, PASSWORD)).status).to.equal(429);
    expect((await login(owner, user.account, PASSWORD)).body.code).to.equal(0);
  });

  it("keeps the owner signing in while strangers' failures hold the account back", async () => {
    const home = from('127.0.0.21');
    const owner = await registerWithEmail(home, 'owner-phone');
    expect(owner.deviceToken).to.be.a('string').and.not.empty;

    // A stranger guesses from one address until that address must wait...
    const stranger = from('127.0.0.22');
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++)
      expect((await login(stranger, owner.account, `guess${i}`)).body.code).to.equal(
        ErrorCode.WRONG_PASSWORD,
      );
    expect((await login(stranger, owner.account, 'guessAgain')).status).to.equal(429);
    // ...while the owner, from their own address, still signs in.
    expect((await login(home, owner.account, PASSWORD, { deviceId: 'owner-phone' })).body.code).to.equal(0);

    // Guessing from more addresses reaches the account's ceiling: no unknown device gets through.
    const other = from('127.0.0.23');
    for (let i = 0; i < ACCOUNT_MAX_FAILURES - LOGIN_MAX_FAILURES; i++)
      expect((await login(other, owner.account, `more${i}`)).body.code).to.equal(ErrorCode.WRONG_PASSWORD);
    const newPlace = from('127.0.0.24');
    expect((await login(newPlace, owner.account, PASSWORD, { deviceId: 'new-laptop' })).status).to.equal(429);
    // Neither does one that claims the owner's device id without its token, or with a forged one, another
    // account's, or the owner's access token (same signing key, another audience).
    const someoneElse = await registerWithEmail(from('127.0.0.25'), 'owner-phone');
    for (const deviceToken of [undefined, 'forged.token.value', someoneElse.deviceToken, owner.accessToken])
      expect(
        (await login(newPlace, owner.account, PASSWORD, { deviceId: 'owner-phone', deviceToken })).status,
      ).to.equal(429);

    // The owner's device, with the token it got at its last sign-in, signs in even from the stranger's address.
    const known = await login(stranger, owner.account, PASSWORD, {
      deviceId: 'owner-phone',
      deviceToken: owner.deviceToken,
    });
    expect(known.body.code, JSON.stringify(known.body)).to.equal(0);
    expect(known.body.data.deviceToken).to.be.a('string').and.not.empty;

    // Whoever holds a device's token still gets only the free failures before that device waits.
    const token = known.body.data.deviceToken;
    const withToken = (password: string) =>
      login(newPlace, owner.account, password, { deviceId: 'owner-phone', deviceToken: token });
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++)
      expect((await withToken(`stolen${i}`)).body.code).to.equal(ErrorCode.WRONG_PASSWORD);
    expect((await withToken(PASSWORD)).status).to.equal(429);
  });

  it(`answers ${LOGIN_MAX_FAILURES} of ${PARALLEL} parallel wrong admin logins from one address and refuses the rest`, async () => {
    const username = uniqueAccount('admin');
    await createAdminAccount(platform.host.databaseUrl, {
      username,
      password: 'correct horse battery',
      role: 'auditor',
    });
    const attacker = from('127.0.0.31');
    const guesses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        attacker.call('POST', '/api/v1/admin/auth/login', {
          body: { username, password: `wrong horse ${i}` },
        }),
      ),
    );
    const answers = tally(guesses);
    expect(answers[ErrorCode.ADMIN_WRONG_PASSWORD], JSON.stringify(answers)).to.equal(LOGIN_MAX_FAILURES);
    expect(answers[ErrorCode.TOO_MANY_REQUESTS], JSON.stringify(answers)).to.equal(
      PARALLEL - LOGIN_MAX_FAILURES,
    );
    const admin = from('127.0.0.32');
    const signedIn = await admin.call('POST', '/api/v1/admin/auth/login', {
      body: { username, password: 'correct horse battery' },
    });
    expect(signedIn.body.code).to.equal(0);
  });
});
