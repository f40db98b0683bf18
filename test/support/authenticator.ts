import { Secret, TOTP } from 'otpauth';

/** An authenticator app holding `secret`: its code for the step `stepsAhead` 30-second steps from now. */
export const authenticatorCode = (secret: string, stepsAhead = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({
    timestamp: Date.now() + stepsAhead * 30_000,
  });
