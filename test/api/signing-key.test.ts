import { expect } from 'chai';
import { exportJWK, generateKeyPair } from 'jose';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

/** AUTH_SIGNING_KEY: the key the operator keeps in a Secret signs every access token. */
describe('a configured signing key', function () {
  this.timeout(60_000);
  let platform: TestPlatform | undefined;
  let kid: string;

  before(async function () {
    await requirePostgres(this);
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    kid = `configured-${Date.now()}`;
    const jwk = { ...(await exportJWK(privateKey)), kid };
    platform = await startPlatform('postgresql', { AUTH_SIGNING_KEY: JSON.stringify(jwk) });
  });
  after(async () => platform?.stop());

  it('signs access tokens and is published in the JWKS without its private part', async () => {
    const user = await registerUser(platform!.api);
    const header = JSON.parse(Buffer.from(user.accessToken.split('.')[0]!, 'base64url').toString());
    expect(header.kid).to.equal(kid);
    const jwks = await platform!.api.ok<{ keys: Array<Record<string, unknown>> }>('GET', '/api/v1/auth/jwks');
    const published = jwks.keys.find((key) => key.kid === kid);
    expect(published).to.include({ kty: 'EC', crv: 'P-256' });
    expect(published).not.to.have.property('d');
    await platform!.api.ok('GET', '/api/v1/users/me', { token: user.accessToken });
  });

  it('refuses to start with a key that is not an ES256 private JWK, saying what it must be', async () => {
    let message = '';
    try {
      const other = await startPlatform('postgresql', { AUTH_SIGNING_KEY: '{"kty":"RSA"}' });
      await other.stop();
    } catch (error) {
      message = String(error);
    }
    expect(message).to.match(/AUTH_SIGNING_KEY must be an ES256 private JWK/);
  });
});
