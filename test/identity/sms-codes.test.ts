import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

interface Texted {
  authorization: string | undefined;
  to: string;
  text: string;
}

/**
 * A stand-in for a remote SMS provider (which cannot run here): a real HTTP server taking the
 * generic provider's `{to, text}` POSTs; it answers 500 for numbers ending in 0 (a provider outage).
 */
async function startSmsGateway(): Promise<{ server: Server; url: string; texts: Texted[] }> {
  const texts: Texted[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const { to, text } = JSON.parse(body) as { to: string; text: string };
      if (to.endsWith('0')) {
        res.statusCode = 500;
        res.end('provider down');
        return;
      }
      texts.push({ authorization: req.headers.authorization, to, text });
      res.end('{"accepted":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`, texts };
}

describe('verification codes by SMS through the generic HTTP provider [pglite]', function () {
  // Starting the platform takes long on a loaded machine.
  this.timeout(120_000);
  let platform: TestPlatform;
  let gateway: Awaited<ReturnType<typeof startSmsGateway>>;

  before(async () => {
    gateway = await startSmsGateway();
    platform = await startPlatform('pglite', {
      SMS_HTTP_URL: gateway.url,
      SMS_HTTP_TOKEN: 'sms-token',
      AUTH_CODE_RESEND_SECONDS: '0',
    });
  });
  after(async () => {
    await platform?.stop();
    gateway?.server.close();
  });

  it('texts a localized code that registers the phone number, with the provider token', async () => {
    const phoneNumber = `+86139${String(Date.now()).slice(-7)}1`;
    await platform.api.ok('POST', '/api/v1/auth/verify-code', {
      body: { phoneNumber, purpose: 'register' },
      headers: { 'accept-language': 'zh-CN,zh;q=0.9' },
    });
    const texted = gateway.texts.findLast((sent) => sent.to === phoneNumber);
    expect(texted?.authorization).to.equal('Bearer sms-token');
    expect(texted?.text).to.include('验证码');
    const code = /([0-9]{6})/.exec(texted!.text)![1];
    const user = await registerUser(platform.api, { phoneNumber, verifyCode: code });
    expect(user.userId).to.match(/^[0-9]+$/);
  });

  it('answers 10118 when the provider fails, instead of a silent success', async () => {
    const phoneNumber = `+86139${String(Date.now()).slice(-7)}0`;
    const response = await platform.api.call('POST', '/api/v1/auth/verify-code', {
      body: { phoneNumber, purpose: 'register' },
    });
    expect(response.status).to.equal(503);
    expect(response.body.code).to.equal(ErrorCode.CODE_DELIVERY_FAILED);
  });

  it('has no e-mail sender here: an e-mail code is refused as unavailable', async () => {
    const response = await platform.api.call('POST', '/api/v1/auth/verify-code', {
      body: { email: 'nobody@example.com', purpose: 'register' },
    });
    expect(response.body.code).to.equal(ErrorCode.SERVICE_UNAVAILABLE);
  });
});
