import type { MikroORM } from '@mikro-orm/postgresql';
import {
  createLocalJWKSet,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { ACCESS_TOKEN_AUDIENCE } from '../../platform/security/index.ts';
import { SigningKey } from '../entities.ts';

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  deviceId: string;
  deviceType: string;
}

/**
 * ES256 key ring. Keys live in the auth schema so every replica signs with the same key and serves
 * the same JWKS; the first replica to start creates one. Other services verify with the public set.
 */
export class SigningKeys {
  #current?: { kid: string; key: CryptoKey };
  #jwks?: JSONWebKeySet;
  #keySet?: ReturnType<typeof createLocalJWKSet>;

  private readonly orm: MikroORM;
  private readonly issuer: string;
  private readonly ttlSeconds: number;
  private readonly configured: JWK | undefined;

  /** `configuredKey`: a private ES256 JWK with `kid` (AUTH_SIGNING_KEY); it signs, older keys still verify. */
  constructor(orm: MikroORM, issuer: string, ttlSeconds: number, configuredKey?: string) {
    this.orm = orm;
    this.issuer = issuer;
    this.ttlSeconds = ttlSeconds;
    this.configured = configuredKey === undefined ? undefined : parseConfiguredKey(configuredKey);
  }

  async load(): Promise<void> {
    const em = this.orm.em.fork();
    let keys = await em.find(SigningKey, {}, { orderBy: { createdAt: 'desc' } });
    if (this.configured) {
      const { kid } = this.configured as JWK & { kid: string };
      if (!keys.some((key) => key.kid === kid)) {
        const { d: _private, ...publicJwk } = this.configured;
        em.create(SigningKey, { kid, privateJwk: this.configured, publicJwk: { ...publicJwk, use: 'sig' } });
        await em.flush();
        keys = await em.find(SigningKey, {}, { orderBy: { createdAt: 'desc' } });
      }
      this.#current = { kid, key: (await importJWK(this.configured, 'ES256')) as CryptoKey };
      this.#jwks = { keys: keys.map((key) => key.publicJwk as JWK) };
      this.#keySet = undefined;
      return;
    }
    if (keys.length === 0) {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const kid = crypto.randomUUID();
      const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
      // Two replicas starting at once may both create one; both keys are then valid, the newest signs.
      em.create(SigningKey, { kid, privateJwk, publicJwk });
      await em.flush();
      keys = await em.find(SigningKey, {}, { orderBy: { createdAt: 'desc' } });
    }
    const newest = keys[0]!;
    this.#current = {
      kid: newest.kid,
      key: (await importJWK(newest.privateJwk as JWK, 'ES256')) as CryptoKey,
    };
    this.#jwks = { keys: keys.map((key) => key.publicJwk as JWK) };
    this.#keySet = undefined;
  }

  jwks(): JSONWebKeySet {
    if (!this.#jwks) throw new Error('signing keys not loaded');
    return this.#jwks;
  }

  async sign(claims: AccessTokenClaims): Promise<string> {
    return this.signJwt(
      new SignJWT({ sid: claims.sessionId, did: claims.deviceId, dty: claims.deviceType })
        .setSubject(claims.userId)
        .setAudience(ACCESS_TOKEN_AUDIENCE)
        .setExpirationTime(`${this.ttlSeconds}s`),
    );
  }

  /** Signs a JWT of this issuer with the current key; the audience tells its kinds apart. */
  async signJwt(jwt: SignJWT): Promise<string> {
    if (!this.#current) throw new Error('signing keys not loaded');
    return jwt
      .setProtectedHeader({ alg: 'ES256', kid: this.#current.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setIssuedAt()
      .sign(this.#current.key);
  }

  /** The claims of a JWT this key ring signed for `audience`, or undefined when it is not one (or expired). */
  async verifyJwt(token: string, audience: string): Promise<JWTPayload | undefined> {
    this.#keySet ??= createLocalJWKSet(this.jwks());
    try {
      const { payload } = await jwtVerify(token, this.#keySet, {
        issuer: this.issuer,
        audience,
        algorithms: ['ES256'],
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
  }
}

function parseConfiguredKey(text: string): JWK {
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new Error('AUTH_SIGNING_KEY is not JSON: it must be an ES256 private JWK');
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d || !jwk.kid)
    throw new Error('AUTH_SIGNING_KEY must be an ES256 private JWK (kty EC, crv P-256, with d and kid)');
  return { ...jwk, alg: 'ES256' };
}
