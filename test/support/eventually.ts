/**
 * Polls `probe` until it yields a value (undefined, false and errors count as "not yet"); fails
 * naming `what`, the last error, and what `explain` says (log tails of the processes involved).
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  explain?: () => string,
): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as Exclude<T, false>;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const lastError = last ? ` (last error: ${String(last)})` : '';
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${lastError}${explain ? `\n${explain()}` : ''}`);
}
