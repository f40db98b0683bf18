import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import * as oidc from 'openid-client';
import { AppError, ErrorCode } from '../../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../../platform/ids.ts';
import { AccountStatus, UserCredentials, UserIdentity } from '../../entities.ts';
import type { NewAccounts } from '../new-accounts.ts';
import { hashPassword } from '../passwords.ts';
import type { DeviceInfo } from '../sessions.ts';
import type { SignedIn, SignIns } from '../sign-in.ts';
import { exchangeCode, type ProviderIdentity } from './callback.ts';
import type { Flows } from './flows.ts';
import type { OidcProviders } from './providers.ts';

export interface OidcSignInDeps {
  orm: MikroORM;
  providers: OidcProviders;
  flows: Flows;
  accounts: NewAccounts;
  signIns: SignIns;
  ids: SnowflakeGenerator;
  /** Where providers send the browser back by default (the web client's callback page). */
  defaultRedirectUri: () => string;
}

export interface ProviderResponse {
  state: string;
  code: string;
  iss?: string | undefined;
}

/** RFC 8252 §7.3: a loopback redirect URI matches whatever port the app listens on. */
const withoutLoopbackPort = (uri: string) => {
  try {
    const url = new URL(uri);
    if (url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]')) url.port = '';
    return url.href;
  } catch {
    return uri;
  }
};

/**
 * Sign-in with OpenID Providers (authorization code flow with PKCE, state and nonce kept
 * server-side). The provider's subject signs in to the account linked to it; the first sign-in
 * links an account with the same e-mail only when the provider says it verified that e-mail (an
 * unverified one could be anyone's: 10204), else creates an account. Signed-in users link and
 * unlink providers from settings.
 */
export class OidcSignIn {
  readonly #deps: OidcSignInDeps;

  constructor(deps: OidcSignInDeps) {
    this.#deps = deps;
  }

  providers() {
    return this.#deps.providers.list();
  }

  /** The provider's authorization URL to send the browser to, for a sign-in or a link. */
  async start(
    providerId: string,
    options: { redirectUri?: string | undefined; device?: DeviceInfo; linkTo?: string },
  ): Promise<{ authorizationUrl: string; state: string }> {
    const provider = this.#deps.providers.get(providerId);
    const redirectUri = options.redirectUri ?? this.#deps.defaultRedirectUri();
    const allowed = [this.#deps.defaultRedirectUri(), ...provider.redirectUris].map(withoutLoopbackPort);
    if (!allowed.includes(withoutLoopbackPort(redirectUri))) {
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail: `body.redirectUri: not registered for ${providerId}`,
      });
    }
    const client = await this.#deps.providers.client(providerId);
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await this.#deps.flows.save(state, {
      provider: providerId,
      codeVerifier,
      nonce,
      redirectUri,
      ...(options.linkTo ? { mode: 'link' as const, userId: options.linkTo } : { mode: 'signin' as const }),
      ...(options.device ? { device: options.device } : {}),
    });
    const url = oidc.buildAuthorizationUrl(client, {
      redirect_uri: redirectUri,
      scope: provider.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { authorizationUrl: url.href, state };
  }

  /** Finishes a sign-in flow: our own tokens for the device that started it. */
  async finishSignIn(response: ProviderResponse, userAgent: string | undefined): Promise<SignedIn> {
    const flow = await this.#deps.flows.take(response.state);
    if (flow.mode !== 'signin' || !flow.device) {
      throw new AppError(ErrorCode.OIDC_STATE_INVALID, {
        detail: 'this state started a link, not a sign-in',
      });
    }
    const identity = await exchangeCode(
      await this.#deps.providers.client(flow.provider),
      flow,
      response.state,
      response,
    );
    const user = await this.#accountFor(flow.provider, identity);
    // The provider authenticated the person (with its own second factor, if any).
    return this.#deps.signIns.complete(user, { device: flow.device, userAgent, knownDevice: true });
  }

  /** Finishes a link flow started by `userId` from settings. */
  async finishLink(userId: string, response: ProviderResponse): Promise<{ provider: string }> {
    const flow = await this.#deps.flows.take(response.state);
    if (flow.mode !== 'link' || flow.userId !== userId) {
      throw new AppError(ErrorCode.OIDC_STATE_INVALID, {
        detail: 'this state did not start a link of this account',
      });
    }
    const identity = await exchangeCode(
      await this.#deps.providers.client(flow.provider),
      flow,
      response.state,
      response,
    );
    await this.#link(userId, flow.provider, identity);
    return { provider: flow.provider };
  }

  async identities(userId: string) {
    const found = await this.#deps.orm.em
      .fork()
      .find(UserIdentity, { userId }, { orderBy: { createdAt: 'asc' } });
    return found.map((identity) => ({
      provider: identity.provider,
      email: identity.email ?? null,
      linkedAt: identity.createdAt.toISOString(),
    }));
  }

  async unlink(userId: string, provider: string): Promise<void> {
    const removed = await this.#deps.orm.em.fork().nativeDelete(UserIdentity, { userId, provider });
    if (removed === 0) throw new AppError(ErrorCode.NOT_FOUND, { detail: `no link to ${provider}` });
  }

  async #accountFor(provider: string, identity: ProviderIdentity): Promise<UserCredentials> {
    const em = this.#deps.orm.em.fork();
    const linked = await em.findOne(UserIdentity, { provider, subject: identity.subject });
    if (linked) {
      const user = await em.findOne(UserCredentials, { userId: linked.userId });
      if (user && user.status !== AccountStatus.DELETED) return user;
      throw new AppError(ErrorCode.USER_NOT_FOUND);
    }
    const sameEmail = identity.email ? await em.findOne(UserCredentials, { email: identity.email }) : null;
    if (sameEmail) {
      // Linking on an e-mail the provider did not verify would hand the account to whoever typed it there.
      if (!identity.emailVerified) throw new AppError(ErrorCode.OIDC_EMAIL_UNVERIFIED);
      if (sameEmail.status === AccountStatus.DELETED) throw new AppError(ErrorCode.USER_NOT_FOUND);
      await this.#link(sameEmail.userId, provider, identity);
      return sameEmail;
    }
    const user = await this.#deps.accounts.create({
      account: `u${randomBytes(9).toString('hex')}`,
      phoneNumber: null,
      // An unverified address is not put on the account: it would keep its owner from registering it.
      email: identity.emailVerified ? identity.email : null,
      nickname: identity.name,
      // Nobody knows it: the account signs in with the provider, or sets a password by reset.
      passwordHash: await hashPassword(randomBytes(32).toString('base64url')),
    });
    await this.#link(user.userId, provider, identity);
    return user;
  }

  async #link(userId: string, provider: string, identity: ProviderIdentity): Promise<void> {
    const em = this.#deps.orm.em.fork();
    const existing = await em.findOne(UserIdentity, { provider, subject: identity.subject });
    if (existing?.userId === userId) return;
    if (existing) throw new AppError(ErrorCode.OIDC_IDENTITY_LINKED);
    em.create(UserIdentity, {
      id: this.#deps.ids.next(),
      userId,
      provider,
      subject: identity.subject,
      email: identity.email,
    });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new AppError(ErrorCode.OIDC_IDENTITY_LINKED, {
          detail: `the account is linked to ${provider} already`,
        });
      }
      throw error;
    }
  }
}
