import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238 parameters every authenticator app understands: SHA-1, 6 digits, 30 s steps. */
const PERIOD_SECONDS = 30;
/** Steps before and after the current one accepted (clock drift between phone and server). */
const WINDOW = 1;
const RECOVERY_CODES = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** What is stored of a second factor: the TOTP secret, the last step used, recovery code hashes. */
export interface SecondFactorState {
  secret: string;
  lastStep: number;
  recoveryHashes: string[];
}

/** A code that matched: a TOTP step (newer than any used before), or one of the recovery codes. */
export type SecondFactorMatch = { kind: 'totp'; step: number } | { kind: 'recovery'; hash: string };

const totpOf = (secret: string, issuer = 'AnyChat', label = 'account') =>
  new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });

/** The otpauth:// URI an authenticator app scans (or takes as a link) for a secret. */
export const totpUri = (secret: string, issuer: string, label: string) =>
  totpOf(secret, issuer, label).toString();

/** A new random TOTP secret: 160 bits, base32. */
export const newTotpSecret = () => new Secret({ size: 20 }).base32;

const normalizeRecovery = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');
export const hashRecoveryCode = (code: string) =>
  createHash('sha256').update(normalizeRecovery(code)).digest('hex');

/**
 * Ten one-time recovery codes (`xxxxx-xxxxx`, 50 bits each: hashed without a salt is enough at that
 * entropy); only their hashes are kept, the codes are shown once.
 */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: RECOVERY_CODES }, () => {
    const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]);
    return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
  });
  return { codes, hashes: codes.map(hashRecoveryCode) };
}

/**
 * Checks a code against a second factor: a six-digit TOTP code of a step after the last one used
 * (a code seen once can't be replayed), or an unused recovery code. The caller stores the match
 * (new last step, or the recovery code removed) under a lock, so each is used once.
 */
export function matchSecondFactor(
  state: SecondFactorState,
  code: string,
  now = Date.now(),
): SecondFactorMatch | null {
  const trimmed = code.trim();
  if (/^[0-9]{6}$/.test(trimmed)) {
    const delta = totpOf(state.secret).validate({ token: trimmed, window: WINDOW, timestamp: now });
    if (delta === null) return null;
    const step = Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
    return step > state.lastStep ? { kind: 'totp', step } : null;
  }
  const hash = Buffer.from(hashRecoveryCode(trimmed), 'hex');
  const found = state.recoveryHashes.find((stored) => {
    const candidate = Buffer.from(stored, 'hex');
    return candidate.length === hash.length && timingSafeEqual(candidate, hash);
  });
  return found ? { kind: 'recovery', hash: found } : null;
}

/** The state after a match is used: the step remembered, or the recovery code gone. */
export function afterMatch(state: SecondFactorState, match: SecondFactorMatch): SecondFactorState {
  return match.kind === 'totp'
    ? { ...state, lastStep: match.step }
    : { ...state, recoveryHashes: state.recoveryHashes.filter((hash) => hash !== match.hash) };
}
