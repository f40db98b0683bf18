import { EtagMismatchError, type StateItem, type StateStore } from '../ports/index.ts';

/**
 * The presence registry: user → gateway instance → devices, kept in the shared state store so that
 * any service can find where a user is connected. Each instance entry carries its own expiry,
 * pushed forward by the gateway's heartbeat sweep; entries of an instance that died simply expire.
 * One key per user, updated with ETag retries, so instances never overwrite each other.
 */

export interface DeviceEntry {
  deviceId: string;
  platform: string;
  connectedAt: number;
}

interface InstanceEntry {
  devices: DeviceEntry[];
  expiresAt: number;
}

interface PresenceRecord {
  instances: Record<string, InstanceEntry>;
  /** When the user was last seen connected (ms); set when the last device leaves. */
  lastActiveAt: number;
}

export interface UserPresence {
  userId: string;
  online: boolean;
  /** Live instance id → device ids on it. */
  instances: Map<string, string[]>;
  platforms: string[];
  lastActiveAt: number | null;
}

export interface PresenceChange {
  /** The user had no live device before this call and has one now (or the reverse). */
  becameOnline: boolean;
  becameOffline: boolean;
}

const keyOf = (userId: string) => `presence||${userId}`;
const MAX_ATTEMPTS = 8;
/** Last-active times are kept a month after the last connection. */
const RECORD_TTL_SECONDS = 30 * 86_400;

export class PresenceRegistry {
  readonly #store: StateStore;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(store: StateStore, options: { entryTtlSeconds: number; now?: () => number }) {
    this.#store = store;
    this.#ttlMs = options.entryTtlSeconds * 1000;
    this.#now = options.now ?? Date.now;
  }

  async connect(userId: string, instanceId: string, device: Omit<DeviceEntry, 'connectedAt'>) {
    return this.#update(userId, (record, now) => {
      const entry = record.instances[instanceId] ?? { devices: [], expiresAt: 0 };
      entry.devices = entry.devices.filter((d) => d.deviceId !== device.deviceId);
      entry.devices.push({ ...device, connectedAt: now });
      entry.expiresAt = now + this.#ttlMs;
      record.instances[instanceId] = entry;
      record.lastActiveAt = now;
    });
  }

  async disconnect(userId: string, instanceId: string, deviceId: string) {
    return this.#update(userId, (record, now) => {
      const entry = record.instances[instanceId];
      if (!entry) return;
      entry.devices = entry.devices.filter((d) => d.deviceId !== deviceId);
      if (entry.devices.length === 0) delete record.instances[instanceId];
      record.lastActiveAt = now;
    });
  }

  /** Pushes this instance's expiry forward for users it still holds (the heartbeat sweep). */
  async refresh(userId: string, instanceId: string, devices: Array<Omit<DeviceEntry, 'connectedAt'>>) {
    return this.#update(userId, (record, now) => {
      const known = new Map(record.instances[instanceId]?.devices.map((d) => [d.deviceId, d]));
      record.instances[instanceId] = {
        devices: devices.map((d) => known.get(d.deviceId) ?? { ...d, connectedAt: now }),
        expiresAt: now + this.#ttlMs,
      };
      record.lastActiveAt = now;
    });
  }

  async lookup(userIds: string[]): Promise<Map<string, UserPresence>> {
    const unique = [...new Set(userIds)];
    const items = unique.length > 0 ? await this.#store.getBulk<PresenceRecord>(unique.map(keyOf)) : [];
    const byKey = new Map(items.map((item) => [item.key, item.value]));
    const now = this.#now();
    return new Map(unique.map((userId) => [userId, this.#view(userId, byKey.get(keyOf(userId)), now)]));
  }

  #view(userId: string, record: PresenceRecord | undefined, now: number): UserPresence {
    const instances = new Map<string, string[]>();
    const platforms = new Set<string>();
    for (const [instanceId, entry] of Object.entries(record?.instances ?? {})) {
      if (entry.expiresAt <= now || entry.devices.length === 0) continue;
      instances.set(
        instanceId,
        entry.devices.map((d) => d.deviceId),
      );
      for (const device of entry.devices) platforms.add(device.platform);
    }
    return {
      userId,
      online: instances.size > 0,
      instances,
      platforms: [...platforms],
      lastActiveAt: instances.size > 0 ? now : (record?.lastActiveAt ?? null),
    };
  }

  async #update(
    userId: string,
    change: (record: PresenceRecord, now: number) => void,
  ): Promise<PresenceChange> {
    const key = keyOf(userId);
    for (let attempt = 1; ; attempt++) {
      const item: StateItem<PresenceRecord> | undefined = await this.#store.get<PresenceRecord>(key);
      const now = this.#now();
      const record: PresenceRecord = structuredClone(item?.value) ?? { instances: {}, lastActiveAt: now };
      const wasOnline = this.#view(userId, record, now).online;
      for (const [instanceId, entry] of Object.entries(record.instances))
        if (entry.expiresAt <= now) delete record.instances[instanceId];
      change(record, now);
      const isOnline = this.#view(userId, record, now).online;
      try {
        await this.#store.save(key, record, {
          ...(item ? { etag: item.etag } : {}),
          ttlInSeconds: RECORD_TTL_SECONDS,
        });
        return { becameOnline: !wasOnline && isOnline, becameOffline: wasOnline && !isOnline };
      } catch (error) {
        if (!(error instanceof EtagMismatchError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}
