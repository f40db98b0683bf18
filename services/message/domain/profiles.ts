import { type BriefProfile, fetchProfiles } from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/**
 * Sender names and avatars for message frames, asked from the user service and kept briefly.
 * A profile change event drops the entry at once; the TTL bounds staleness on replicas that did
 * not receive it (events are consumed by one replica per app).
 */
export class ProfileCache {
  readonly #invoke: InvokePort;
  readonly #ttlMs: number;
  readonly #entries = new Map<string, { profile: BriefProfile | null; until: number }>();

  constructor(invoke: InvokePort, ttlMs = 60_000) {
    this.#invoke = invoke;
    this.#ttlMs = ttlMs;
  }

  async get(userIds: string[]): Promise<Map<string, BriefProfile | null>> {
    const now = Date.now();
    const missing = [...new Set(userIds)].filter((id) => (this.#entries.get(id)?.until ?? 0) <= now);
    if (missing.length > 0) {
      // Read receipts of a big group name more users than one call to the user service takes.
      const found = await fetchProfiles(this.#invoke, missing);
      if (this.#entries.size > 50_000) this.#entries.clear();
      for (const id of missing)
        this.#entries.set(id, { profile: found.get(id) ?? null, until: now + this.#ttlMs });
    }
    return new Map(userIds.map((id) => [id, this.#entries.get(id)?.profile ?? null]));
  }

  forget(userId: string) {
    this.#entries.delete(userId);
  }
}
