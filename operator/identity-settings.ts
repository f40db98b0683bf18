import type { ImCluster, SecretKeyRef } from './spec.ts';

/** The auth service's plain identity settings from spec.identity (the config map): no credential among them. */
export function identityConfig(cluster: ImCluster): Record<string, string> {
  const identity = cluster.spec.identity;
  if (!identity) return {};
  const { smtp, sms, oidc } = identity;
  return {
    ...(smtp
      ? {
          SMTP_HOST: smtp.host,
          SMTP_PORT: String(smtp.port),
          SMTP_TLS: smtp.tls,
          SMTP_FROM: smtp.from,
          ...(smtp.user ? { SMTP_USER: smtp.user } : {}),
        }
      : {}),
    ...(sms ? { SMS_HTTP_URL: sms.url } : {}),
    ...(oidc
      ? {
          // Client secrets are left out: each comes from its own Secret (identitySecrets).
          OIDC_PROVIDERS: JSON.stringify(
            oidc.providers.map(({ clientSecretRef: _, ...provider }) => provider),
          ),
          ...(oidc.redirectUri ? { OIDC_REDIRECT_URI: oidc.redirectUri } : {}),
        }
      : {}),
    ...(identity.adminSecondFactor ? { ADMIN_SECOND_FACTOR: identity.adminSecondFactor } : {}),
  };
}

/**
 * The identity credentials (SMTP password, SMS token, OIDC client secrets), as environment
 * variables read from their Secrets, for the containers that run the auth service only; the keys
 * sealing TOTP secrets also for the admin service's (administrators' second factor).
 */
export function identitySecrets(cluster: ImCluster, services: string[]): Array<[string, SecretKeyRef]> {
  const identity = cluster.spec.identity;
  const runs = (service: string) => services.includes(service) || services.includes('all');
  if (!identity || !(runs('auth') || runs('admin'))) return [];
  const secrets: Array<[string, SecretKeyRef]> = [];
  if (identity.totpKeysRef) secrets.push(['TOTP_ENCRYPTION_KEYS', identity.totpKeysRef]);
  if (!runs('auth')) return secrets;
  if (identity.smtp?.passwordRef) secrets.push(['SMTP_PASSWORD', identity.smtp.passwordRef]);
  if (identity.sms?.tokenRef) secrets.push(['SMS_HTTP_TOKEN', identity.sms.tokenRef]);
  for (const provider of identity.oidc?.providers ?? []) {
    if (provider.clientSecretRef) {
      const variable = `OIDC_CLIENT_SECRET_${provider.id.toUpperCase().replaceAll('-', '_')}`;
      secrets.push([variable, provider.clientSecretRef]);
    }
  }
  return secrets;
}
