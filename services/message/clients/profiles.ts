import { LRUCache } from 'lru-cache';
import { type ProfileSummary, profilesOf } from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/**
 * Sender names and avatars for message frames, asked from the user service and kept briefly.
 * A profile change event drops the entry at once; the TTL bounds staleness on replicas that did
 * not receive it (events are consumed by one replica per app).
 */
export class ProfileCache {
  readonly #invoke: InvokePort;
  /** A user without a profile (deleted, unknown) is cached too, as `profile: null`. */
  readonly #entries: LRUCache<string, { profile: ProfileSummary | null }>;

  constructor(invoke: InvokePort, ttlMs = 60_000) {
    this.#invoke = invoke;
    this.#entries = new LRUCache({ max: 50_000, ttl: ttlMs });
  }

  async get(userIds: string[]): Promise<Map<string, ProfileSummary | null>> {
    // Answered from what this call read or fetched: an entry evicted meanwhile cannot go missing.
    const profiles = new Map<string, ProfileSummary | null>();
    const missing: string[] = [];
    for (const id of new Set(userIds)) {
      const entry = this.#entries.get(id);
      if (entry) profiles.set(id, entry.profile);
      else missing.push(id);
    }
    if (missing.length > 0) {
      // Read receipts of a big group name more users than one call to the user service takes.
      const found = await profilesOf(this.#invoke, missing);
      for (const id of missing) {
        const profile = found.get(id) ?? null;
        this.#entries.set(id, { profile });
        profiles.set(id, profile);
      }
    }
    return new Map(userIds.map((id) => [id, profiles.get(id) ?? null]));
  }

  forget(userId: string) {
    this.#entries.delete(userId);
  }
}
