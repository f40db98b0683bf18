import { z } from 'zod';

/** One OpenID Provider users may sign in with (ZITADEL, Keycloak, Google, Microsoft, Dex...). */
export interface OidcProviderConfig {
  /** In URLs and in the account links: lowercase letters, digits and '-'. */
  id: string;
  /** Shown on the sign-in button. */
  name: string;
  /** Issuer URL; its /.well-known/openid-configuration is read at first use. */
  issuer: string;
  clientId: string;
  /** From OIDC_CLIENT_SECRET_<ID> (a Secret in the cluster); unset: a public client (PKCE only). */
  clientSecret: string | undefined;
  scopes: string;
  /**
   * Redirect URIs native apps may ask for besides OIDC_REDIRECT_URI (RFC 8252: a custom scheme such
   * as `com.example.chat:/oauth2redirect`, or `http://127.0.0.1/callback`, any port).
   */
  redirectUris: string[];
}

const ProviderSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,32}$/),
  name: z.string().min(1).max(64),
  issuer: z.url(),
  clientId: z.string().min(1),
  scopes: z.string().default('openid email profile'),
  redirectUris: z.array(z.string().min(1)).default([]),
});

/**
 * OIDC_PROVIDERS: a JSON array of `{id, name, issuer, clientId, scopes?, redirectUris?}`; each
 * provider's client secret comes from its own variable OIDC_CLIENT_SECRET_<ID> (upper case, '-' as
 * '_'), so that it can be mounted from a Secret and never sits in the JSON.
 */
export function loadOidcProviders(env: Record<string, string | undefined>): OidcProviderConfig[] {
  if (!env.OIDC_PROVIDERS) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(env.OIDC_PROVIDERS);
  } catch {
    throw new Error('OIDC_PROVIDERS: not JSON');
  }
  const result = z.array(ProviderSchema).safeParse(parsed);
  if (!result.success) {
    throw new Error(
      `OIDC_PROVIDERS: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  const ids = new Set<string>();
  return result.data.map((provider) => {
    if (ids.has(provider.id)) throw new Error(`OIDC_PROVIDERS: provider ${provider.id} is listed twice`);
    ids.add(provider.id);
    const secretVar = `OIDC_CLIENT_SECRET_${provider.id.toUpperCase().replaceAll('-', '_')}`;
    return { ...provider, clientSecret: env[secretVar] };
  });
}
