import { LRUCache } from 'lru-cache';
import { type StateStore, updateItem } from '../ports/index.ts';
import { TurnBatch } from '../turn-batch.ts';

/**
 * The presence registry: user → gateway instance → devices, kept in the shared state store so that
 * any service can find where a user is connected. Each gateway instance also keeps a liveness key
 * whose TTL its heartbeat pushes forward; a user's entries count only while their instance is
 * alive, so the entries of an instance that died expire with it — one write per instance per
 * heartbeat, however many users it holds. One key per user, updated with ETag retries, so
 * instances never overwrite each other; within an instance a user's updates run one after
 * another, so the devices of one user connecting at once (a dozen tabs, an app restoring its
 * sockets) queue here instead of racing each other for the key and running out of retries.
 */

export interface DeviceEntry {
  deviceId: string;
  platform: string;
  connectedAt: number;
}

interface PresenceRecord {
  /** Instance id → devices connected there. */
  instances: Record<string, DeviceEntry[]>;
  /** When the user was last seen connected (ms); set when a device leaves. */
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

/** A device's disconnect: the user's change, and whether the device is now on no live instance. */
export interface DeviceDisconnect extends PresenceChange {
  /** Not connected anywhere any more (false: it is connected on another instance). */
  deviceGone: boolean;
}

const userKey = (userId: string) => `presence:${userId}`;
const instanceKey = (instanceId: string) => `presence-instance:${instanceId}`;
/** ETag conflicts left after the per-user queue come from other instances: a few writers at most. */
const MAX_ATTEMPTS = 8;
/** Spreads those instances' retries apart (times the attempt number). */
const RETRY_JITTER_MS = 20;
/** Last-active times are kept a month after the last connection. */
const RECORD_TTL_SECONDS = 30 * 86_400;
/** How long a reader trusts what it learnt about an instance being alive or dead. */
const LIVENESS_CACHE_MS = 2000;

export class PresenceRegistry {
  readonly #store: StateStore;
  readonly #ttlSeconds: number;
  readonly #now: () => number;
  /** Instance id → alive, as this instance last learnt it. */
  readonly #liveness: LRUCache<string, boolean>;
  readonly #beats = new Map<string, number>();
  readonly #lookups = new TurnBatch<string, UserPresence>((userIds) => this.#lookupNow(userIds));
  /** Per user, the end of the last update this instance queued (absent when none is pending). */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(store: StateStore, options: { entryTtlSeconds: number; now?: () => number }) {
    this.#store = store;
    this.#ttlSeconds = options.entryTtlSeconds;
    this.#now = options.now ?? Date.now;
    // Resolution 0: every read asks the clock, so a test's clock is obeyed to the millisecond.
    this.#liveness = new LRUCache({
      max: 10_000,
      ttl: LIVENESS_CACHE_MS,
      ttlResolution: 0,
      perf: { now: this.#now },
    });
  }

  /** The instance is alive for another TTL (the gateway calls it every heartbeat interval). */
  async heartbeat(instanceId: string): Promise<void> {
    await this.#store.save(instanceKey(instanceId), { at: this.#now() }, { ttlInSeconds: this.#ttlSeconds });
    this.#beats.set(instanceId, this.#now());
    this.#liveness.set(instanceId, true);
  }

  /** The instance is going away: its users' entries stop counting at once. */
  async retire(instanceId: string): Promise<void> {
    await this.#store.delete(instanceKey(instanceId));
    this.#beats.delete(instanceId);
    this.#liveness.set(instanceId, false);
  }

  async connect(
    userId: string,
    instanceId: string,
    device: Omit<DeviceEntry, 'connectedAt'>,
  ): Promise<PresenceChange> {
    // The first connection of an instance makes it alive before anyone looks it up.
    const beat =
      (this.#beats.get(instanceId) ?? 0) < this.#now() - (this.#ttlSeconds * 1000) / 3
        ? this.heartbeat(instanceId)
        : undefined;
    // Queued now (not after the beat), so that it keeps its place before a later disconnect.
    const { becameOnline, becameOffline } = await this.#update(
      userId,
      (record, now) => {
        const devices = (record.instances[instanceId] ?? []).filter((d) => d.deviceId !== device.deviceId);
        devices.push({ ...device, connectedAt: now });
        record.instances[instanceId] = devices;
        record.lastActiveAt = now;
      },
      beat,
    );
    return { becameOnline, becameOffline };
  }

  async disconnect(userId: string, instanceId: string, deviceId: string): Promise<DeviceDisconnect> {
    const { after, ...change } = await this.#update(userId, (record, now) => {
      const devices = (record.instances[instanceId] ?? []).filter((d) => d.deviceId !== deviceId);
      if (devices.length === 0) delete record.instances[instanceId];
      else record.instances[instanceId] = devices;
      record.lastActiveAt = now;
    });
    const deviceGone = ![...after.instances.values()].some((devices) => devices.includes(deviceId));
    return { ...change, deviceGone };
  }

  /**
   * Where these users are connected. Lookups of the same turn are read together (one state store
   * read for the users of every message a group commit stored).
   */
  async lookup(userIds: string[]): Promise<Map<string, UserPresence>> {
    const found = await this.#lookups.get(userIds);
    return new Map(userIds.map((userId) => [userId, found.get(userId)!]));
  }

  async #lookupNow(userIds: string[]): Promise<Map<string, UserPresence>> {
    const unique = [...new Set(userIds)];
    const items = unique.length > 0 ? await this.#store.getBulk<PresenceRecord>(unique.map(userKey)) : [];
    const byKey = new Map(items.map((item) => [item.key, item.value]));
    const alive = await this.#alive(items.flatMap((item) => Object.keys(item.value.instances ?? {})));
    return new Map(unique.map((userId) => [userId, this.#view(userId, byKey.get(userKey(userId)), alive)]));
  }

  /** Which of these instances are alive (cached briefly: lookups happen for every message). */
  async #alive(instanceIds: string[]): Promise<Set<string>> {
    const alive = new Set<string>();
    const unknown: string[] = [];
    for (const id of new Set(instanceIds)) {
      const known = this.#liveness.get(id);
      if (known === undefined) unknown.push(id);
      else if (known) alive.add(id);
    }
    if (unknown.length > 0) {
      const found = new Set(
        (await this.#store.getBulk(unknown.map(instanceKey))).map((item) =>
          item.key.slice(instanceKey('').length),
        ),
      );
      for (const id of unknown) {
        this.#liveness.set(id, found.has(id));
        if (found.has(id)) alive.add(id);
      }
    }
    return alive;
  }

  #view(userId: string, record: PresenceRecord | undefined, alive: Set<string>): UserPresence {
    const instances = new Map<string, string[]>();
    const platforms = new Set<string>();
    for (const [instanceId, devices] of Object.entries(record?.instances ?? {})) {
      if (!alive.has(instanceId) || devices.length === 0) continue;
      instances.set(
        instanceId,
        devices.map((d) => d.deviceId),
      );
      for (const device of devices) platforms.add(device.platform);
    }
    const online = instances.size > 0;
    return {
      userId,
      online,
      instances,
      platforms: [...platforms],
      lastActiveAt: online ? this.#now() : (record?.lastActiveAt ?? null),
    };
  }

  /**
   * Runs a user's updates in the order they were asked for, one at a time. The order matters too:
   * a device that leaves and comes back must not end up removed because the two writes crossed.
   */
  #update(
    userId: string,
    change: (record: PresenceRecord, now: number) => void,
    /** Must have succeeded before the write (it is already running). */
    before?: Promise<void>,
  ): Promise<PresenceChange & { after: UserPresence }> {
    // Its failure is reported by the write that awaits it, not as an unhandled rejection meanwhile.
    before?.catch(() => undefined);
    const previous = this.#queues.get(userId) ?? Promise.resolve();
    const run = previous.then(async () => {
      await before;
      return this.#write(userId, change);
    });
    const settled = run.catch(() => undefined);
    this.#queues.set(userId, settled);
    void settled.then(() => {
      if (this.#queues.get(userId) === settled) this.#queues.delete(userId);
    });
    return run;
  }

  async #write(
    userId: string,
    change: (record: PresenceRecord, now: number) => void,
  ): Promise<PresenceChange & { after: UserPresence }> {
    let result: PresenceChange & { after: UserPresence } = {
      becameOnline: false,
      becameOffline: false,
      after: this.#view(userId, undefined, new Set()),
    };
    await updateItem<PresenceRecord>(
      this.#store,
      userKey(userId),
      async (stored) => {
        const now = this.#now();
        const record = stored ?? { instances: {}, lastActiveAt: now };
        const before = await this.#alive(Object.keys(record.instances));
        const wasOnline = this.#view(userId, record, before).online;
        // Entries of dead instances are dropped on the way.
        for (const instanceId of Object.keys(record.instances))
          if (!before.has(instanceId)) delete record.instances[instanceId];
        change(record, now);
        const after = this.#view(userId, record, await this.#alive(Object.keys(record.instances)));
        const isOnline = after.online;
        result = { becameOnline: !wasOnline && isOnline, becameOffline: wasOnline && !isOnline, after };
        return record;
      },
      { ttlInSeconds: RECORD_TTL_SECONDS, maxAttempts: MAX_ATTEMPTS, jitterMs: RETRY_JITTER_MS },
    );
    return result;
  }
}
