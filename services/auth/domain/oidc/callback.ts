import * as oidc from 'openid-client';
import { AppError, ErrorCode } from '../../../platform/errors.ts';
import type { Flow } from './flows.ts';

/** What a provider said about the person who signed in there. */
export interface ProviderIdentity {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/**
 * Finishes a flow at the provider: exchanges the code (with the PKCE verifier) at the token
 * endpoint and validates the ID token (signature by the provider's JWKS, issuer, audience = our
 * client id, expiry, nonce). Anything that does not hold is 10203; a provider that can't be reached
 * is 10207. The e-mail (and whether the provider verified it) comes from the ID token, else from
 * the userinfo endpoint.
 */
export async function exchangeCode(
  client: oidc.Configuration,
  flow: Flow,
  state: string,
  response: { code: string; iss?: string | undefined },
): Promise<ProviderIdentity> {
  const callbackUrl = new URL(flow.redirectUri);
  callbackUrl.searchParams.set('code', response.code);
  callbackUrl.searchParams.set('state', state);
  if (response.iss) callbackUrl.searchParams.set('iss', response.iss);
  let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  try {
    tokens = await oidc.authorizationCodeGrant(client, callbackUrl, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    throw providerError(error);
  }
  const claims = tokens.claims();
  if (!claims) throw new AppError(ErrorCode.OIDC_TOKEN_INVALID, { detail: 'no ID token' });
  let { email, email_verified: verified, name } = claims;
  if (email === undefined && tokens.access_token) {
    try {
      const info = await oidc.fetchUserInfo(client, tokens.access_token, claims.sub);
      ({ email, email_verified: verified } = info);
      name ??= info.name;
    } catch (error) {
      throw providerError(error);
    }
  }
  return {
    subject: claims.sub,
    email: typeof email === 'string' ? email.toLowerCase() : null,
    emailVerified: verified === true,
    name: typeof name === 'string' ? name.slice(0, 32) : null,
  };
}

function providerError(error: unknown): AppError {
  if (error instanceof oidc.ResponseBodyError) {
    // invalid_grant: the code was used already, expired, or was not issued for this verifier.
    return new AppError(ErrorCode.OIDC_TOKEN_INVALID, {
      detail: `the provider refused the code: ${error.error}`,
    });
  }
  if ((error as { code?: string }).code === 'OAUTH_TIMEOUT' || (error as Error).name === 'TypeError') {
    return new AppError(ErrorCode.OIDC_PROVIDER_FAILED, { cause: error });
  }
  // The innermost reason, and the claim it is about (nonce, aud, exp...), say what did not hold.
  let reason = error as Error & { cause?: unknown };
  while (reason.cause instanceof Error) reason = reason.cause as Error & { cause?: unknown };
  const claim = (reason.cause as { claim?: unknown } | undefined)?.claim;
  const detail = `${reason.message}${typeof claim === 'string' ? ` (${claim})` : ''}`;
  return new AppError(ErrorCode.OIDC_TOKEN_INVALID, { detail, cause: error });
}
