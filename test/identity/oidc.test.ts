import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser, type SignedIn, uniqueAccount } from '../support/api-client.ts';
import { OpenIdProvider } from '../support/openid-provider.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

const WEB_CALLBACK = 'http://127.0.0.1:9/oidc/callback';

describe('sign-in with an OpenID Provider (oidc-provider on loopback) [pglite]', function () {
  // Starting the platform takes long on a loaded machine.
  this.timeout(120_000);
  let platform: TestPlatform;
  let op: OpenIdProvider;

  before(async () => {
    op = await OpenIdProvider.start({
      clientId: 'anychat',
      clientSecret: 'op-secret',
      redirectUris: [WEB_CALLBACK],
    });
    platform = await startPlatform('pglite', {
      OIDC_PROVIDERS: JSON.stringify([
        {
          id: 'test-op',
          name: 'Test OP',
          issuer: op.issuer,
          clientId: 'anychat',
          redirectUris: ['http://127.0.0.1/native-callback', 'com.anychat.app:/oauth2redirect'],
        },
      ]),
      OIDC_CLIENT_SECRET_TEST_OP: 'op-secret',
      OIDC_REDIRECT_URI: WEB_CALLBACK,
    });
  });
  after(async () => {
    await platform?.stop();
    await op?.close();
  });
  afterEach(() => {
    op.tamper = 'none';
  });

  const device = (deviceId: string) => ({ deviceType: 'Web', deviceId });
  const start = (deviceId = 'browser-1', extra: Record<string, string> = {}) =>
    platform.api.ok<{ authorizationUrl: string; state: string }>('POST', '/api/v1/auth/oidc/test-op/start', {
      body: { ...device(deviceId), ...extra },
    });
  /** The browser's round trip: start, log in at the provider as `sub`, come back with code and state. */
  const browser = async (sub: string, deviceId?: string, edit?: (url: URL) => void) => {
    const { authorizationUrl } = await start(deviceId);
    const url = new URL(authorizationUrl);
    edit?.(url);
    const back = await op.authorize(url.href, sub);
    expect(back.href.startsWith(WEB_CALLBACK)).to.equal(true);
    return {
      state: back.searchParams.get('state')!,
      code: back.searchParams.get('code')!,
      iss: back.searchParams.get('iss') ?? undefined,
    };
  };
  const callback = (response: { state: string; code: string; iss?: string | undefined }) =>
    platform.api.call<SignedIn>('POST', '/api/v1/auth/oidc/callback', { body: response });

  it('lists the providers and sends the browser to the provider with PKCE, state and nonce', async () => {
    const { providers } = await platform.api.ok<{ providers: unknown[] }>(
      'GET',
      '/api/v1/auth/oidc/providers',
    );
    expect(providers).to.deep.equal([{ id: 'test-op', name: 'Test OP' }]);
    const { authorizationUrl, state } = await start();
    const url = new URL(authorizationUrl);
    expect(url.origin + url.pathname).to.equal(`${op.issuer}/auth`);
    expect(url.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(url.searchParams.get('state')).to.equal(state);
    expect(url.searchParams.get('nonce')).to.have.length.greaterThan(20);
    expect(url.searchParams.get('redirect_uri')).to.equal(WEB_CALLBACK);
    const unknown = await platform.api.call('POST', '/api/v1/auth/oidc/nobody/start', { body: device('d') });
    expect(unknown.body.code).to.equal(ErrorCode.OIDC_PROVIDER_UNKNOWN);
  });

  it('creates an account at the first sign-in and signs the same person in to it afterwards', async () => {
    op.accounts.set('alice-sub', {
      email: `${uniqueAccount('alice')}@example.com`,
      email_verified: true,
      name: 'Alice',
    });
    const first = await callback(await browser('alice-sub'));
    expect(first.body.code, JSON.stringify(first.body)).to.equal(0);
    const me = await platform.api.ok<{ nickname: string }>('GET', '/api/v1/users/me', {
      token: first.body.data.accessToken,
    });
    expect(me.nickname).to.equal('Alice');
    const again = await callback(await browser('alice-sub', 'browser-2'));
    expect(again.body.data.userId).to.equal(first.body.data.userId);
  });

  it('refuses a tampered state, a replayed code, a wrong nonce, a wrong audience and an expired ID token', async () => {
    op.accounts.set('bob-sub', { email: `${uniqueAccount('bob')}@example.com`, email_verified: true });
    const good = await browser('bob-sub');
    expect((await callback({ ...good, state: `${good.state}x` })).body.code).to.equal(
      ErrorCode.OIDC_STATE_INVALID,
    );
    expect((await callback(good)).body.code).to.equal(0);
    // The same answer again: its state is used up.
    expect((await callback(good)).body.code).to.equal(ErrorCode.OIDC_STATE_INVALID);
    // The used code under a fresh state: the provider refuses it.
    const { state } = await start('browser-3');
    const replay = await callback({ ...good, state });
    expect(replay.body.code).to.equal(ErrorCode.OIDC_TOKEN_INVALID);

    const wrongNonce = await callback(
      await browser('bob-sub', 'b4', (url) => url.searchParams.set('nonce', 'not-ours')),
    );
    expect(wrongNonce.body.code).to.equal(ErrorCode.OIDC_TOKEN_INVALID);
    expect(wrongNonce.body.message, wrongNonce.body.message).to.match(/nonce/);

    op.tamper = 'wrong-audience';
    const audience = await callback(await browser('bob-sub', 'b5'));
    expect(audience.body.code).to.equal(ErrorCode.OIDC_TOKEN_INVALID);
    expect(audience.body.message, audience.body.message).to.match(/aud/);
    op.tamper = 'expired';
    const expired = await callback(await browser('bob-sub', 'b6'));
    expect(expired.body.code).to.equal(ErrorCode.OIDC_TOKEN_INVALID);
    expect(expired.body.message, expired.body.message).to.match(/exp/);
  });

  it('links an existing account by e-mail only when the provider verified it', async () => {
    const email = `${uniqueAccount('carol')}@example.com`;
    const carol = await registerUser(platform.api, { email });
    op.accounts.set('mallory-sub', { email, email_verified: false });
    const takeover = await callback(await browser('mallory-sub'));
    expect(takeover.status).to.equal(403);
    expect(takeover.body.code).to.equal(ErrorCode.OIDC_EMAIL_UNVERIFIED);
    op.accounts.set('carol-sub', { email: email.toUpperCase(), email_verified: true });
    const linked = await callback(await browser('carol-sub'));
    expect(linked.body.data.userId).to.equal(carol.userId);
  });

  it('lets only the account that started a link finish it', async () => {
    const dave = await registerUser(platform.api);
    op.accounts.set('dave-sub', {});
    const { authorizationUrl } = await platform.api.ok<{ authorizationUrl: string }>(
      'POST',
      '/api/v1/auth/oidc/test-op/link',
      { token: dave.accessToken, body: {} },
    );
    const back = await op.authorize(authorizationUrl, 'dave-sub');
    const response = {
      state: back.searchParams.get('state')!,
      code: back.searchParams.get('code')!,
      iss: back.searchParams.get('iss')!,
    };
    // Only the account that started the link may finish it, and only on the link route.
    const stranger = await registerUser(platform.api);
    const hijack = await platform.api.call('POST', '/api/v1/auth/oidc/link/callback', {
      token: stranger.accessToken,
      body: response,
    });
    expect(hijack.body.code).to.equal(ErrorCode.OIDC_STATE_INVALID);
  });

  it('links and unlinks a provider from settings', async () => {
    const erin = await registerUser(platform.api);
    op.accounts.set('erin-sub', {});
    const link = async (user: { accessToken: string }, sub: string) => {
      const { authorizationUrl } = await platform.api.ok<{ authorizationUrl: string }>(
        'POST',
        '/api/v1/auth/oidc/test-op/link',
        { token: user.accessToken, body: {} },
      );
      const back = await op.authorize(authorizationUrl, sub);
      return platform.api.call('POST', '/api/v1/auth/oidc/link/callback', {
        token: user.accessToken,
        body: {
          state: back.searchParams.get('state')!,
          code: back.searchParams.get('code')!,
          iss: back.searchParams.get('iss')!,
        },
      });
    };
    expect((await link(erin, 'erin-sub')).body.code).to.equal(0);
    const { identities } = await platform.api.ok<{ identities: Array<{ provider: string }> }>(
      'GET',
      '/api/v1/auth/oidc/identities',
      { token: erin.accessToken },
    );
    expect(identities.map((identity) => identity.provider)).to.deep.equal(['test-op']);
    const signedIn = await callback(await browser('erin-sub'));
    expect(signedIn.body.data.userId).to.equal(erin.userId);
    const other = await registerUser(platform.api);
    expect((await link(other, 'erin-sub')).body.code).to.equal(ErrorCode.OIDC_IDENTITY_LINKED);

    // That Web sign-in replaced the registration's Web session (one per device type).
    const token = signedIn.body.data.accessToken;
    await platform.api.ok('DELETE', '/api/v1/auth/oidc/identities/test-op', { token });
    const gone = await platform.api.call('DELETE', '/api/v1/auth/oidc/identities/test-op', { token });
    expect(gone.body.code).to.equal(ErrorCode.NOT_FOUND);
    // Unlinked: the provider's person is a stranger again and gets an account of their own.
    const fresh = await callback(await browser('erin-sub'));
    expect(fresh.body.data.userId).to.not.equal(erin.userId);
  });

  it('lets a native app use its registered custom scheme or any loopback port (RFC 8252), nothing else', async () => {
    for (const redirectUri of ['com.anychat.app:/oauth2redirect', 'http://127.0.0.1:49152/native-callback']) {
      const { authorizationUrl } = await start('app-1', { redirectUri });
      expect(new URL(authorizationUrl).searchParams.get('redirect_uri')).to.equal(redirectUri);
    }
    const evil = await platform.api.call('POST', '/api/v1/auth/oidc/test-op/start', {
      body: { ...device('app-1'), redirectUri: 'https://evil.example/callback' },
    });
    expect(evil.body.code).to.equal(ErrorCode.INVALID_PARAMS);
  });
});
