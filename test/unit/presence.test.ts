import { expect } from 'chai';
import {
  EtagMismatchError,
  type SaveOptions,
  type StateItem,
  type StateOperation,
  type StateStore,
} from '../../services/platform/ports/index.ts';
import { PresenceRegistry } from '../../services/platform/presence/index.ts';

/**
 * An in-memory state store with ETag and TTL semantics on a controllable clock. The real stores
 * (embedded PostgreSQL, Dapr) are held to these semantics by the ports contract suite; this one
 * lets the test move time past a TTL without waiting for it.
 */
class ClockedStore implements StateStore {
  now = 1_000_000;
  readonly #items = new Map<string, { value: unknown; etag: string; expiresAt: number }>();
  #etag = 0;

  #live(key: string) {
    const item = this.#items.get(key);
    return item && item.expiresAt > this.now ? item : undefined;
  }
  async get<T>(key: string): Promise<StateItem<T> | undefined> {
    const item = this.#live(key);
    return item ? { key, value: structuredClone(item.value) as T, etag: item.etag } : undefined;
  }
  async getBulk<T>(keys: string[]): Promise<StateItem<T>[]> {
    const items = await Promise.all(keys.map((key) => this.get<T>(key)));
    return items.filter((item): item is StateItem<T> => item !== undefined);
  }
  async save<T>(key: string, value: T, options: SaveOptions = {}): Promise<void> {
    if (options.etag !== undefined && this.#live(key)?.etag !== options.etag)
      throw new EtagMismatchError(key);
    const ttl = options.ttlInSeconds === undefined ? Number.POSITIVE_INFINITY : options.ttlInSeconds * 1000;
    this.#items.set(key, {
      value: structuredClone(value),
      etag: String(++this.#etag),
      expiresAt: this.now + ttl,
    });
  }
  async delete(key: string): Promise<void> {
    this.#items.delete(key);
  }
  async transact(_operations: StateOperation[]): Promise<void> {
    throw new Error('not used by the registry');
  }
}

describe('presence registry', () => {
  it('tracks devices across instances and reports online transitions once', async () => {
    const store = new ClockedStore();
    const registry = new PresenceRegistry(store, { entryTtlSeconds: 90, now: () => store.now });
    expect(await registry.connect('1', 'gw-a', { deviceId: 'phone', platform: 'iOS' })).to.deep.equal({
      becameOnline: true,
      becameOffline: false,
    });
    expect((await registry.connect('1', 'gw-b', { deviceId: 'pc', platform: 'PC' })).becameOnline).to.equal(
      false,
    );
    const seen = (await registry.lookup(['1', '2'])).get('1')!;
    expect(Object.fromEntries(seen.instances)).to.deep.equal({ 'gw-a': ['phone'], 'gw-b': ['pc'] });
    expect(seen.platforms.sort()).to.deep.equal(['PC', 'iOS']);
    expect(await registry.disconnect('1', 'gw-a', 'phone')).to.deep.equal({
      becameOnline: false,
      becameOffline: false,
      deviceGone: true,
    });
    // A device that moved to another instance is not gone when the old instance lets it go.
    await registry.connect('1', 'gw-a', { deviceId: 'pc', platform: 'PC' });
    expect(await registry.disconnect('1', 'gw-b', 'pc')).to.include({
      becameOffline: false,
      deviceGone: false,
    });
    store.now += 5000;
    expect(await registry.disconnect('1', 'gw-a', 'pc')).to.include({
      becameOffline: true,
      deviceGone: true,
    });
    const gone = (await registry.lookup(['1'])).get('1')!;
    expect(gone).to.include({ online: false, lastActiveAt: store.now });
    expect((await registry.lookup(['2'])).get('2')).to.include({ online: false, lastActiveAt: null });
  });

  it("drops a dead instance's users once its liveness key expires, and keeps a live one's", async () => {
    const store = new ClockedStore();
    const registry = new PresenceRegistry(store, { entryTtlSeconds: 90, now: () => store.now });
    await registry.connect('1', 'gw-dead', { deviceId: 'phone', platform: 'iOS' });
    await registry.connect('2', 'gw-live', { deviceId: 'web', platform: 'Web' });
    // gw-live keeps beating; gw-dead stopped without a word.
    for (let i = 0; i < 4; i++) {
      store.now += 30_000;
      await registry.heartbeat('gw-live');
    }
    const seen = await registry.lookup(['1', '2']);
    expect(seen.get('1')!.online).to.equal(false);
    expect(seen.get('2')!.online).to.equal(true);
    // A user reconnecting elsewhere comes back online, and the dead entry is pruned on the way.
    expect(
      (await registry.connect('1', 'gw-live', { deviceId: 'phone', platform: 'iOS' })).becameOnline,
    ).to.equal(true);
    const record = await store.get<{ instances: Record<string, unknown> }>('presence:1');
    expect(Object.keys(record!.value.instances)).to.deep.equal(['gw-live']);
  });

  it('takes a dozen devices of one user connecting at once on one instance: all listed, online reported once', async () => {
    const store = new ClockedStore();
    const registry = new PresenceRegistry(store, { entryTtlSeconds: 90, now: () => store.now });
    const devices = Array.from({ length: 12 }, (_, i) => `tab-${i}`);
    const changes = await Promise.all(
      devices.map((deviceId) => registry.connect('1', 'gw-a', { deviceId, platform: 'Web' })),
    );
    expect(changes.filter((change) => change.becameOnline)).to.have.length(1);
    const seen = (await registry.lookup(['1'])).get('1')!;
    expect(seen.instances.get('gw-a')!.sort()).to.deep.equal(devices.sort());
  });

  it('applies the updates of one user in the order they were asked for', async () => {
    const store = new ClockedStore();
    const registry = new PresenceRegistry(store, { entryTtlSeconds: 90, now: () => store.now });
    // A socket that opens and closes at once on a fresh instance: the connect (which first makes
    // the instance alive) must not land after the disconnect and leave a ghost device behind.
    await Promise.all([
      registry.connect('1', 'gw-a', { deviceId: 'phone', platform: 'iOS' }),
      registry.disconnect('1', 'gw-a', 'phone'),
    ]);
    expect((await registry.lookup(['1'])).get('1')!.online).to.equal(false);
  });

  it('retires an instance at once on shutdown', async () => {
    const store = new ClockedStore();
    const registry = new PresenceRegistry(store, { entryTtlSeconds: 90, now: () => store.now });
    await registry.connect('1', 'gw-a', { deviceId: 'phone', platform: 'iOS' });
    await registry.retire('gw-a');
    expect((await registry.lookup(['1'])).get('1')!.online).to.equal(false);
  });
});
