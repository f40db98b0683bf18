import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';

export interface ProviderAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

/** How the provider's token endpoint misbehaves, re-signing the ID token with its own key. */
export type Tamper = 'none' | 'wrong-audience' | 'expired';

export interface OpenIdProviderOptions {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

/**
 * A real OpenID Provider (the `oidc-provider` package) on a loopback port: discovery, JWKS,
 * authorization with its own login and consent pages, token endpoint with PKCE. `authorize` plays
 * the user in the browser; `tamper` makes the token endpoint hand out an ID token that must be
 * refused (signed by the provider's real key, so only the claim is wrong).
 */
export class OpenIdProvider {
  readonly accounts = new Map<string, ProviderAccount>();
  tamper: Tamper = 'none';
  issuer = '';
  readonly #server: Server;
  #key: { jwk: JWK; privateKey: CryptoKey } | undefined;

  private constructor() {
    this.#server = createServer();
  }

  static async start(options: OpenIdProviderOptions): Promise<OpenIdProvider> {
    const op = new OpenIdProvider();
    await new Promise<void>((resolve) => op.#server.listen(0, '127.0.0.1', resolve));
    op.issuer = `http://127.0.0.1:${(op.#server.address() as AddressInfo).port}`;
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'test-op-key', alg: 'RS256', use: 'sig' };
    op.#key = { jwk, privateKey };
    const provider = new Provider(op.issuer, {
      clients: [
        {
          client_id: options.clientId,
          client_secret: options.clientSecret,
          redirect_uris: options.redirectUris,
          response_types: ['code'],
          grant_types: ['authorization_code'],
        },
      ],
      jwks: { keys: [jwk] },
      cookies: { keys: ['test-op-cookie-key'] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      // The claims asked for go into the ID token (as Keycloak does by default).
      conformIdTokenClaims: false,
      findAccount: async (_ctx, sub) => {
        const account = op.accounts.get(sub);
        return account ? { accountId: sub, claims: async () => ({ sub, ...account }) } : undefined;
      },
    });
    provider.use(async (ctx, next) => {
      await next();
      const body = ctx.body as { id_token?: string } | undefined;
      if (ctx.path === '/token' && op.tamper !== 'none' && body?.id_token) {
        body.id_token = await op.#resign(body.id_token);
      }
    });
    op.#server.on('request', provider.callback());
    return op;
  }

  async #resign(idToken: string): Promise<string> {
    const claims = decodeJwt(idToken);
    const now = Math.floor(Date.now() / 1000);
    if (this.tamper === 'wrong-audience') claims.aud = 'some-other-client';
    if (this.tamper === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.#key!.jwk.kid! })
      .sign(this.#key!.privateKey);
  }

  /**
   * Plays the user's browser at the provider: opens `authorizationUrl`, signs in as `sub` on the
   * provider's login page, consents, and returns the URL the provider redirects back to (with the
   * code and state), which the browser would now open.
   */
  async authorize(authorizationUrl: string, sub: string): Promise<URL> {
    const cookies = new Map<string, string>();
    let url = new URL(authorizationUrl);
    let form: URLSearchParams | undefined;
    for (let hops = 0; hops < 20; hops++) {
      const response = await fetch(url, {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: {
          cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(form ? { body: form.toString() } : {}),
      });
      for (const cookie of response.headers.getSetCookie()) {
        const [pair] = cookie.split(';');
        const at = pair!.indexOf('=');
        cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
      }
      form = undefined;
      const location = response.headers.get('location');
      if (location) {
        const next = new URL(location, url);
        if (next.origin !== this.issuer) return next;
        url = next;
        continue;
      }
      const page = await response.text();
      const prompt = /name="prompt" value="([a-z]+)"/.exec(page)?.[1];
      if (response.status !== 200 || !prompt)
        throw new Error(`provider answered ${response.status}: ${page.slice(0, 300)}`);
      form = new URLSearchParams({ prompt, ...(prompt === 'login' ? { login: sub, password: 'any' } : {}) });
    }
    throw new Error('the provider did not redirect back');
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
