import { SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys.ts';

/** Audience of device tokens: neither an access token nor anything else the key ring signs. */
const DEVICE_TOKEN_AUDIENCE = 'anychat-device';

/**
 * Proof that a device signed in to an account before: a JWT (signed by the auth key ring, its own
 * audience) naming the account and the device, handed out at each sign-in and sent back with the
 * next login. A client-chosen deviceId proves nothing (anyone can send any id); this token cannot
 * be made without the signing key. With it, the login throttle counts that device on its own, so a
 * stranger's failed guesses at the account do not keep its owner out (see SignInThrottle).
 */
export class DeviceTokens {
  readonly #keys: SigningKeys;
  readonly #ttlSeconds: number;

  constructor(keys: SigningKeys, ttlSeconds: number) {
    this.#keys = keys;
    this.#ttlSeconds = ttlSeconds;
  }

  issue(userId: string, deviceId: string): Promise<string> {
    return this.#keys.signJwt(
      new SignJWT({ did: deviceId })
        .setSubject(userId)
        .setAudience(DEVICE_TOKEN_AUDIENCE)
        .setExpirationTime(`${this.#ttlSeconds}s`),
    );
  }

  /** Whether `token` is a valid device token of this account and device; anything else is just not one. */
  async proves(token: string | undefined, userId: string, deviceId: string): Promise<boolean> {
    if (!token) return false;
    const claims = await this.#keys.verifyJwt(token, DEVICE_TOKEN_AUDIENCE);
    return claims?.sub === userId && claims.did === deviceId;
  }
}
