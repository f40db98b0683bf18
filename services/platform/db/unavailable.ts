import { ConnectionException } from '@mikro-orm/core';

/**
 * SQLSTATEs that mean "the database cannot serve you right now" rather than "this statement is
 * wrong": connection exceptions (class 08), a server shutting down or starting up (57P01–57P03),
 * and no connection slot left (53300). A retry after the database is back succeeds.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
const UNAVAILABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
/** node-postgres reports a connection lost mid-query by message only. */
const UNAVAILABLE_MESSAGE =
  /^Connection terminated|^Client has encountered a connection error|timeout exceeded when trying to connect/;

/**
 * Whether an error (or any error in its `cause` chain) says that PostgreSQL was unreachable,
 * restarting or out of connections, so that the caller is told "unavailable, retry" (§7 000006)
 * instead of an internal error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current && typeof current === 'object' && !seen.has(current); ) {
    seen.add(current);
    if (current instanceof ConnectionException) return true;
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET.has(code)))
      return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    current = cause;
  }
  return false;
}
