import type { MikroORM } from '@mikro-orm/postgresql';
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from 'jose';
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

  private readonly orm: MikroORM;
  private readonly issuer: string;
  private readonly ttlSeconds: number;

  constructor(orm: MikroORM, issuer: string, ttlSeconds: number) {
    this.orm = orm;
    this.issuer = issuer;
    this.ttlSeconds = ttlSeconds;
  }

  async load(): Promise<void> {
    const em = this.orm.em.fork();
    let keys = await em.find(SigningKey, {}, { orderBy: { createdAt: 'desc' } });
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
  }

  jwks(): JSONWebKeySet {
    if (!this.#jwks) throw new Error('signing keys not loaded');
    return this.#jwks;
  }

  async sign(claims: AccessTokenClaims): Promise<string> {
    if (!this.#current) throw new Error('signing keys not loaded');
    return new SignJWT({ sid: claims.sessionId, did: claims.deviceId, dty: claims.deviceType })
      .setProtectedHeader({ alg: 'ES256', kid: this.#current.kid, typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(this.issuer)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.#current.key);
  }
}
