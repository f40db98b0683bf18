import * as oidc from 'openid-client';
import { AppError, ErrorCode } from '../../../platform/errors.ts';
import type { Logger } from '../../../platform/logger.ts';
import type { OidcProviderConfig } from '../../../platform/oidc-config.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The configured OpenID Providers, each discovered (/.well-known/openid-configuration, with its
 * JWKS read when an ID token is checked) at first use and kept; a failed discovery is tried again
 * at the next sign-in.
 */
export class OidcProviders {
  readonly #configs: Map<string, OidcProviderConfig>;
  readonly #clients = new Map<string, Promise<oidc.Configuration>>();
  readonly #logger: Logger;

  constructor(providers: OidcProviderConfig[], logger: Logger) {
    this.#configs = new Map(providers.map((provider) => [provider.id, provider]));
    this.#logger = logger;
  }

  list(): Array<{ id: string; name: string }> {
    return [...this.#configs.values()].map(({ id, name }) => ({ id, name }));
  }

  get(id: string): OidcProviderConfig {
    const provider = this.#configs.get(id);
    if (!provider) throw new AppError(ErrorCode.OIDC_PROVIDER_UNKNOWN, { detail: `no provider ${id}` });
    return provider;
  }

  client(id: string): Promise<oidc.Configuration> {
    const provider = this.get(id);
    let client = this.#clients.get(id);
    if (!client) {
      client = this.#discover(provider);
      this.#clients.set(id, client);
      client.catch(() => this.#clients.delete(id));
    }
    return client;
  }

  async #discover(provider: OidcProviderConfig): Promise<oidc.Configuration> {
    const issuer = new URL(provider.issuer);
    // Plain HTTP only for a provider on this machine (development, tests); anywhere else HTTPS.
    const insecure = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
    try {
      return await oidc.discovery(
        issuer,
        provider.clientId,
        provider.clientSecret,
        provider.clientSecret ? undefined : oidc.None(),
        insecure ? { execute: [oidc.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
      );
    } catch (error) {
      this.#logger.warn(
        { err: { message: (error as Error).message }, provider: provider.id },
        'OIDC discovery failed',
      );
      throw new AppError(ErrorCode.OIDC_PROVIDER_FAILED, {
        detail: `provider ${provider.id} could not be reached`,
      });
    }
  }
}
