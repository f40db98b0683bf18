import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Headers of a delivery (documented in the README's "Outgoing webhooks"). */
export const SIGNATURE_HEADER = 'x-anychat-signature';
export const TIMESTAMP_HEADER = 'x-anychat-timestamp';
export const DELIVERY_HEADER = 'x-anychat-delivery';
export const WEBHOOK_ID_HEADER = 'x-anychat-webhook-id';

/** A new webhook secret: `whsec_` and 32 random bytes (base64url). */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/**
 * `v1=` and the hex HMAC-SHA256, keyed with the webhook's secret, of `<timestamp>.<body>`: the
 * timestamp (Unix seconds, also sent in its own header) is signed with the body, so a receiver that
 * refuses old timestamps cannot be fed a recorded delivery again.
 */
export function signDelivery(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does (and the tests do): recompute and compare in constant time, within a tolerance. */
export function verifyDelivery(
  secret: string,
  headers: { signature: string; timestamp: string },
  body: string,
  toleranceSeconds = 300,
  now = Date.now(),
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signDelivery(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
