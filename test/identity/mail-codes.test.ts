import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser, uniqueAccount } from '../support/api-client.ts';
import { MailServer } from '../support/mail-server.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

describe('verification codes by e-mail through a real SMTP server [pglite]', function () {
  // Two of the cases start a platform of their own (another mail server setting).
  this.timeout(120_000);
  let platform: TestPlatform;
  let mail: MailServer;

  before(async () => {
    mail = await MailServer.start({ credentials: { user: 'anychat', password: 'smtp-secret' } });
    platform = await startPlatform(
      'pglite',
      mail.env({
        SMTP_USER: 'anychat',
        SMTP_PASSWORD: 'smtp-secret',
        SMTP_FROM: 'AnyChat <no-reply@anychat.test>',
        AUTH_CODE_RESEND_SECONDS: '0',
        AUTH_CODE_TARGET_HOURLY_LIMIT: '3',
      }),
    );
  });
  after(async () => {
    await platform?.stop();
    await mail?.close();
  });

  it('registers with the code from the received mail, then resets the password with another', async () => {
    const api = platform.api;
    const email = `${uniqueAccount('m')}@example.com`;
    await api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'register' } });
    const registration = mail.lastTo(email);
    expect(registration.from).to.equal('no-reply@anychat.test');
    expect(registration.subject).to.match(/registration/);
    const user = await registerUser(api, { email, verifyCode: mail.codeFor(email) });

    await api.ok('POST', '/api/v1/auth/verify-code', {
      body: { email, purpose: 'reset_password' },
      headers: { 'accept-language': 'zh-CN' },
    });
    const reset = mail.lastTo(email);
    expect(reset.subject).to.equal('AnyChat：重置密码验证码');
    expect(reset.text).to.include('分钟内有效');
    await api.ok('POST', '/api/v1/auth/password/reset', {
      body: { email, verifyCode: mail.codeFor(email), newPassword: 'brandNew99' },
    });
    expect((await api.call('GET', '/api/v1/users/me', { token: user.accessToken })).status).to.equal(401);
    await api.ok('POST', '/api/v1/auth/login', {
      body: { account: email, password: 'brandNew99', deviceType: 'Web', deviceId: 'w' },
    });
  });

  it('signs in with a code sent by mail, no password, under the same multi-device policy', async () => {
    const api = platform.api;
    const email = `${uniqueAccount('c')}@example.com`;
    await api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'register' } });
    const user = await registerUser(api, { email, verifyCode: mail.codeFor(email) });
    await api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'login' } });
    expect(mail.lastTo(email).subject).to.match(/sign-in code/);
    const code = mail.codeFor(email);
    const wrong = await api.call('POST', '/api/v1/auth/login/code', {
      body: { email, verifyCode: code === '000000' ? '111111' : '000000', deviceType: 'Web', deviceId: 'w2' },
    });
    expect(wrong.body.code).to.equal(ErrorCode.VERIFY_CODE_WRONG);
    const signedIn = await api.ok<{ userId: string; accessToken: string; deviceToken: string }>(
      'POST',
      '/api/v1/auth/login/code',
      { body: { email, verifyCode: code, deviceType: 'Web', deviceId: 'w2' } },
    );
    expect(signedIn.userId).to.equal(user.userId);
    expect(signedIn.deviceToken).to.be.a('string');
    // Per device type: the registration's Web session is replaced by this Web sign-in.
    expect((await api.call('GET', '/api/v1/users/me', { token: user.accessToken })).status).to.equal(401);
    expect((await api.call('GET', '/api/v1/users/me', { token: signedIn.accessToken })).status).to.equal(200);
    const replay = await api.call('POST', '/api/v1/auth/login/code', {
      body: { email, verifyCode: code, deviceType: 'iOS', deviceId: 'i1' },
    });
    expect(replay.body.code).to.equal(ErrorCode.VERIFY_CODE_EXPIRED);
  });

  it('answers a login code request for an unknown address like any other, and sends nothing', async () => {
    const email = `${uniqueAccount('u')}@example.com`;
    await platform.api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'login' } });
    expect(mail.received.some((received) => received.to.includes(email))).to.equal(false);
    const login = await platform.api.call('POST', '/api/v1/auth/login/code', {
      body: { email, verifyCode: '123456', deviceType: 'Web', deviceId: 'w' },
    });
    expect(login.body.code).to.equal(ErrorCode.VERIFY_CODE_EXPIRED);
  });

  it('sends a target at most AUTH_CODE_TARGET_HOURLY_LIMIT codes an hour', async () => {
    const email = `${uniqueAccount('h')}@example.com`;
    const answers: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await platform.api.call('POST', '/api/v1/auth/verify-code', {
        body: { email, purpose: 'register' },
      });
      answers.push(response.body.code);
    }
    expect(answers).to.deep.equal([0, 0, 0, ErrorCode.TOO_MANY_REQUESTS]);
    expect(mail.received.filter((received) => received.to.includes(email))).to.have.length(3);
  });

  it('tells the client when the mail server refuses the code (10118), and lets it ask again at once', async () => {
    const refusing = await MailServer.start({ refuse: { code: 550, message: 'mailbox unavailable' } });
    const refused = await startPlatform('pglite', refusing.env());
    try {
      const email = `${uniqueAccount('r')}@example.com`;
      for (let i = 0; i < 2; i++) {
        const response = await refused.api.call('POST', '/api/v1/auth/verify-code', {
          body: { email, purpose: 'register' },
          headers: { 'accept-language': 'zh-CN' },
        });
        expect(response.status).to.equal(503);
        expect(response.body.code).to.equal(ErrorCode.CODE_DELIVERY_FAILED);
        expect(response.body.message).to.match(/^验证码发送失败/);
      }
      expect(refusing.received).to.be.empty;
    } finally {
      await refused.stop();
      await refusing.close();
    }
  });

  it('refuses to send over plain text when STARTTLS is required and the server does not offer it', async () => {
    const plain = await startPlatform('pglite', mail.env({ SMTP_TLS: 'starttls' }));
    try {
      const email = `${uniqueAccount('t')}@example.com`;
      const response = await plain.api.call('POST', '/api/v1/auth/verify-code', {
        body: { email, purpose: 'register' },
      });
      expect(response.body.code).to.equal(ErrorCode.CODE_DELIVERY_FAILED);
      expect(mail.received.some((received) => received.to.includes(email))).to.equal(false);
    } finally {
      await plain.stop();
    }
  });
});
