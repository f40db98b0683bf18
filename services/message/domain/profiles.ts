import { type BriefProfile, UserMethods } from '../../platform/contracts/index.ts';
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
      const profiles = await this.#invoke.invoke<BriefProfile[]>('user', UserMethods.getProfiles, {
        userIds: missing,
      });
      const found = new Map(profiles.map((profile) => [profile.userId, profile]));
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
