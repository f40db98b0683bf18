import type { MessageStats } from '../../platform/contracts/index.ts';
import type { MessageStore } from './store.ts';

/** From this many messages on (by table statistics), the admin total is an estimate, not a count. */
const EXACT_TOTAL_BELOW = 1_000_000;
const MINUTE_MS = 60_000;

/** Messages per minute over the last `minutes` minutes (this one included) and by content type; the total ever. */
export async function messageStats(store: MessageStore, minutes: number): Promise<MessageStats> {
  const to = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  const from = new Date(to - (minutes - 1) * MINUTE_MS);
  const [counts, total] = await Promise.all([store.countsByMinute(from), store.countAll(EXACT_TOTAL_BELOW)]);
  const perMinute = new Map<number, number>();
  for (let at = from.getTime(); at <= to; at += MINUTE_MS) perMinute.set(at, 0);
  const byContentType: Record<string, number> = {};
  for (const { minute, contentType, count } of counts) {
    const at = minute.getTime();
    if (perMinute.has(at)) perMinute.set(at, perMinute.get(at)! + count);
    byContentType[contentType] = (byContentType[contentType] ?? 0) + count;
  }
  return {
    total,
    perMinute: [...perMinute].map(([at, count]) => ({ minute: new Date(at).toISOString(), count })),
    byContentType,
  };
}
