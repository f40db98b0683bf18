import { type Logger, pino } from 'pino';
import { traceLogFields } from './trace-context.ts';

export type { Logger };

/** Paths whose values are secrets: they never reach a log line. */
const REDACT = [
  'password',
  'newPassword',
  'oldPassword',
  'verifyCode',
  'code',
  'accessToken',
  'refreshToken',
  'token',
  'pushToken',
  '*.password',
  '*.newPassword',
  '*.oldPassword',
  '*.verifyCode',
  '*.accessToken',
  '*.refreshToken',
  '*.pushToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["dapr-api-token"]',
  'req.headers["sec-websocket-protocol"]',
];

/**
 * The one logger of a process. Lines written while a request, frame, call or delivery is handled
 * carry its `traceId` and `spanId` (common/trace-context.ts).
 */
export function createLogger(level: string, name = 'anychat'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' }, mixin: traceLogFields });
}
