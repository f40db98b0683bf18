import { expect } from 'chai';
import { registerUser, type SignedIn, uniqueAccount } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { MailServer } from '../support/mail-server.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { type Frame, WsClient } from '../support/ws-client.ts';

const isAlert = (f: Frame) => f.type === 'NOTIFICATION' && f.data.kind === 'auth.unusual_login';

describe('unusual sign-in alerts [pglite]', function () {
  // Starting the platform takes long on a loaded machine.
  this.timeout(120_000);
  let platform: TestPlatform;
  let mail: MailServer;
  const sockets: WsClient[] = [];

  before(async () => {
    mail = await MailServer.start();
    // Behind a trusted proxy (loopback), so that the test can sign in "from" other networks.
    platform = await startPlatform(
      'pglite',
      mail.env({ AUTH_CODE_RESEND_SECONDS: '0', TRUSTED_PROXIES: 'loopback' }),
    );
  });
  after(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    await platform?.stop();
    await mail?.close();
  });

  it('tells the other devices and the mailbox of a new device, which one of them then signs out', async () => {
    const api = platform.api;
    const email = `${uniqueAccount('al')}@example.com`;
    await api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'register' } });
    const user = await registerUser(api, { email, verifyCode: mail.codeFor(email) });
    const ws = await WsClient.connect(platform.host.url, user.accessToken);
    sockets.push(ws);
    const mailsBefore = mail.received.length;

    const intruder = await api.ok<SignedIn>('POST', '/api/v1/auth/login', {
      body: {
        account: user.account,
        password: user.password,
        deviceType: 'Android',
        deviceId: 'stranger-phone',
      },
      headers: { 'x-forwarded-for': '198.51.100.7' },
    });
    const note = await ws.next(isAlert, 15_000);
    expect(note.data.payload).to.include({
      deviceId: 'stranger-phone',
      deviceType: 'Android',
      ip: '198.51.100.7',
    });
    expect(note.data.payload.signOut).to.deep.equal({
      method: 'DELETE',
      path: '/api/v1/auth/devices/stranger-phone',
    });
    const alert = await eventually('the alert mail', () =>
      mail.received.slice(mailsBefore).find((received) => received.to.includes(email)),
    );
    expect(alert.subject).to.include('异常登录').and.include('new sign-in');
    expect(alert.text).to.include('198.51.100.7');

    await api.ok('DELETE', `/api/v1/auth/devices/stranger-phone`, { token: user.accessToken });
    expect((await api.call('GET', '/api/v1/users/me', { token: intruder.accessToken })).status).to.equal(401);
  });

  it('stays quiet for a known device on a known network, and speaks up when it comes from a new one', async () => {
    const api = platform.api;
    const user = await registerUser(api);
    const ws = await WsClient.connect(platform.host.url, user.accessToken);
    sockets.push(ws);
    const login = (ip: string) =>
      api.ok('POST', '/api/v1/auth/login', {
        body: { account: user.account, password: user.password, deviceType: 'iOS', deviceId: 'my-phone' },
        headers: { 'x-forwarded-for': ip },
      });
    await login('203.0.113.10');
    await ws.next(isAlert, 15_000);
    // The same phone from the same /24: nothing. Then from another network: an alert. Alerts
    // reach the devices in the order of the sign-ins, so one for the second would come first.
    const seen = ws.frames.length;
    await login('203.0.113.77');
    await login('192.0.2.20');
    await ws.next(isAlert, 15_000, seen);
    const alerts = ws.frames.slice(seen).filter(isAlert);
    expect(alerts.map((alert) => alert.data.payload.ip)).to.deep.equal(['192.0.2.20']);
  });
});
