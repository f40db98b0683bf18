import { createLocalJWKSet, errors, type JSONWebKeySet, jwtVerify } from 'jose';
import { AppError, ErrorCode } from '../errors.ts';
import type { StateStore } from '../ports/state.ts';
import { TurnBatch } from '../turn-batch.ts';
import type { Principal } from './principal.ts';

export const ACCESS_TOKEN_AUDIENCE = 'anychat-api';
const JWKS_MAX_AGE_MS = 5 * 60_000;
const JWKS_REFETCH_COOLDOWN_MS = 30_000;

/** Key of a revoked session in the shared state store; lives as long as its access tokens could. */
export const revokedSessionKey = (sessionId: string) => `auth:revoked-session:${sessionId}`;

export interface AccessTokenVerifierOptions {
  issuer: string;
  /** Fetches the auth service's public keys (JWKS), locally or through service invocation. */
  fetchJwks: () => Promise<JSONWebKeySet>;
  /** Shared state store holding revoked sessions (logout, password change, device replaced). */
  revocations: StateStore;
}

export type AccessTokenVerifier = (token: string) => Promise<Principal>;

/** Seconds a client is asked to wait when a token could not be checked (Retry-After). */
const RETRY_AFTER_SECONDS = 2;

/**
 * The token may be fine: what it is checked against (the keys, the revoked sessions) could not be
 * read. A retryable server answer (000006), never 10104: a client signs its user out on that.
 */
function couldNotVerify(what: string, cause: unknown): AppError {
  return new AppError(ErrorCode.SERVICE_UNAVAILABLE, {
    detail: `the token could not be checked: ${what} unavailable`,
    cause,
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  });
}

/**
 * Verifies access tokens locally against the JWKS (cached, refetched when an unknown key id shows
 * up after a key rotation) and refuses tokens of revoked sessions. Only a bad token is refused as
 * such (10104/10105); when the keys or the revocations cannot be read it throws 000006.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = 0;
  // The revocation checks of one turn are one read of the store (a reconnect storm checks
  // thousands of tokens a second; each alone was a database round trip).
  const revocations = new TurnBatch<string, true>(async (keys) => {
    const items = await options.revocations.getBulk(keys);
    return new Map(items.map((item) => [item.key, true as const]));
  });

  async function keys(force: boolean) {
    const now = Date.now();
    const stale = now - fetchedAt > (force ? JWKS_REFETCH_COOLDOWN_MS : JWKS_MAX_AGE_MS);
    if (!keySet || stale) {
      try {
        keySet = createLocalJWKSet(await options.fetchJwks());
      } catch (error) {
        throw couldNotVerify('signing keys', error);
      }
      fetchedAt = now;
    }
    return keySet;
  }

  async function verify(token: string, force: boolean) {
    return jwtVerify(token, await keys(force), {
      issuer: options.issuer,
      audience: ACCESS_TOKEN_AUDIENCE,
      algorithms: ['ES256'],
      requiredClaims: ['sub', 'sid', 'exp'],
    });
  }

  return async (token) => {
    let payload: Awaited<ReturnType<typeof verify>>['payload'];
    try {
      try {
        payload = (await verify(token, false)).payload;
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
        payload = (await verify(token, true)).payload;
      }
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new AppError(ErrorCode.TOKEN_EXPIRED);
      if (error instanceof errors.JOSEError) throw new AppError(ErrorCode.TOKEN_INVALID);
      throw error;
    }
    const principal: Principal = {
      userId: String(payload.sub),
      sessionId: String(payload.sid),
      deviceId: String(payload.did ?? ''),
      deviceType: String(payload.dty ?? ''),
      // A bot token (the auth service's bots) names its scopes; a user's access token has none.
      ...(Array.isArray(payload.scp) ? { scopes: payload.scp.map(String) } : {}),
    };
    const key = revokedSessionKey(principal.sessionId);
    let revoked: boolean;
    try {
      revoked = (await revocations.get([key])).has(key);
    } catch (error) {
      throw couldNotVerify('the session store', error);
    }
    if (revoked) throw new AppError(ErrorCode.TOKEN_INVALID, { detail: 'session was signed out' });
    return principal;
  };
}
