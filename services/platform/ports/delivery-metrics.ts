import { Counter } from 'prom-client';

/**
 * Events a subscriber will never process: the handler dropped them (malformed, unknown) or they
 * ran out of retries (a poison event). Registered into each app's /metrics registry; alert on it.
 */
export const droppedEvents = new Counter({
  name: 'anychat_pubsub_events_dropped_total',
  help: 'Pub/sub events dropped by a subscriber, by topic and reason (rejected | retries_exhausted)',
  labelNames: ['topic', 'reason'] as const,
  registers: [],
});

/**
 * Counts failed deliveries per event id, so that an event that keeps failing is dropped after a
 * bounded number of attempts instead of cycling through the broker forever and holding up its topic.
 * Remembers at most `capacity` events (the oldest are forgotten first).
 */
export class DeliveryAttempts {
  readonly #failures = new Map<string, number>();
  readonly maxAttempts: number;
  readonly #capacity: number;

  constructor(maxAttempts: number, capacity = 10_000) {
    this.maxAttempts = maxAttempts;
    this.#capacity = capacity;
  }

  /** Records a failed attempt; true when the event has used up its attempts. */
  failed(eventKey: string): boolean {
    const failures = (this.#failures.get(eventKey) ?? 0) + 1;
    this.#failures.delete(eventKey);
    if (failures >= this.maxAttempts) return true;
    this.#failures.set(eventKey, failures);
    if (this.#failures.size > this.#capacity) this.#failures.delete(this.#failures.keys().next().value!);
    return false;
  }

  settled(eventKey: string): void {
    this.#failures.delete(eventKey);
  }
}
