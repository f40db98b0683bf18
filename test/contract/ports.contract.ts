/**
 * The contract every adapter of the state, pub/sub and invoke ports must pass (DESIGN §3). It runs on
 * the embedded adapter here; the Dapr adapter runs the same suite against a real sidecar.
 */
import { expect } from 'chai';
import { AppError, ErrorCode } from '../../services/platform/errors.ts';
import {
  type CloudEvent,
  type DeliveryResult,
  EtagMismatchError,
  type InternalHandlers,
  type InvokePort,
  type PubSubPort,
  type StatePort,
  type Subscription,
} from '../../services/platform/ports/index.ts';

export interface PortsUnderTest {
  state: StatePort;
  /** Publisher of app `publisher`. */
  pubsub: PubSubPort;
  pubsubName: string;
  subscribe(appId: string, subscription: Subscription): void;
  invoke: InvokePort;
  serve(appId: string, handlers: InternalHandlers): void;
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

let unique = 0;
const key = (name: string) => `${name}-${Date.now()}-${unique++}`;

export function portsContract(
  adapterName: string,
  setup: () => Promise<{ ports: PortsUnderTest; teardown(): Promise<void> }>,
) {
  describe(`ports contract [${adapterName}]`, function () {
    this.timeout(30_000);
    let ports: PortsUnderTest;
    let teardown: () => Promise<void>;
    before(async () => {
      ({ ports, teardown } = await setup());
    });
    after(async () => teardown?.());

    describe('state', () => {
      const store = () => ports.state.store('statestore');

      it('reads nothing for a missing key', async () => {
        expect(await store().get(key('missing'))).to.equal(undefined);
      });

      it('round-trips values as JSON and hands out an ETag', async () => {
        const k = key('roundtrip');
        await store().save(k, { n: 1, at: new Date('2026-01-01T00:00:00Z'), nested: { list: [1, 'two'] } });
        const item = await store().get<Record<string, unknown>>(k);
        expect(item?.value).to.deep.equal({
          n: 1,
          at: '2026-01-01T00:00:00.000Z',
          nested: { list: [1, 'two'] },
        });
        expect(item?.etag).to.be.a('string').and.not.empty;
      });

      it('saves under the current ETag and refuses a stale one', async () => {
        const k = key('etag');
        await store().save(k, 'v1');
        const first = await store().get<string>(k);
        await store().save(k, 'v2', { etag: first!.etag });
        const second = await store().get<string>(k);
        expect(second?.value).to.equal('v2');
        expect(second?.etag).to.not.equal(first?.etag);
        const error = await rejection(store().save(k, 'v3', { etag: first!.etag }));
        expect(error).to.be.instanceOf(EtagMismatchError);
        expect((await store().get<string>(k))?.value).to.equal('v2');
      });

      it('refuses an ETag for an item that does not exist', async () => {
        const error = await rejection(store().save(key('ghost'), 'x', { etag: '12345' }));
        expect(error).to.be.instanceOf(EtagMismatchError);
      });

      it('deletes, with and without an ETag', async () => {
        const k = key('delete');
        await store().save(k, 1);
        const item = await store().get(k);
        const error = await rejection(store().delete(k, { etag: `${item!.etag}0` }));
        expect(error).to.be.instanceOf(EtagMismatchError);
        await store().delete(k, { etag: item!.etag });
        expect(await store().get(k)).to.equal(undefined);
        await store().delete(k); // deleting a missing key is fine
      });

      it('expires items after their TTL', async () => {
        const k = key('ttl');
        await store().save(k, 'short', { ttlInSeconds: 1 });
        expect((await store().get(k))?.value).to.equal('short');
        await sleep(2_100);
        expect(await store().get(k)).to.equal(undefined);
      });

      it('reads in bulk, leaving out missing keys', async () => {
        const a = key('bulk-a');
        const b = key('bulk-b');
        await store().save(a, 'A');
        await store().save(b, 'B');
        const items = await store().getBulk<string>([a, b, key('bulk-missing')]);
        expect(items.map((item) => [item.key, item.value]).sort()).to.deep.equal([
          [a, 'A'],
          [b, 'B'],
        ]);
      });

      it('applies a transaction whole or not at all', async () => {
        const a = key('tx-a');
        const b = key('tx-b');
        await store().save(b, 'old');
        const error = await rejection(
          store().transact([
            { operation: 'upsert', key: a, value: 'new' },
            { operation: 'upsert', key: b, value: 'new', etag: '999999999' },
          ]),
        );
        expect(error).to.be.instanceOf(EtagMismatchError);
        expect(await store().get(a)).to.equal(undefined);
        expect((await store().get(b))?.value).to.equal('old');
        await store().transact([
          { operation: 'upsert', key: a, value: 'new' },
          { operation: 'delete', key: b },
        ]);
        expect((await store().get(a))?.value).to.equal('new');
        expect(await store().get(b)).to.equal(undefined);
      });

      it('keeps named stores apart', async () => {
        const k = key('isolated');
        await ports.state.store('statestore').save(k, 'here');
        expect(await ports.state.store('otherstore').get(k)).to.equal(undefined);
      });
    });

    describe('pub/sub', () => {
      function subscriber(
        appId: string,
        topic: string,
        answer: (event: CloudEvent, attempt: number) => Promise<DeliveryResult>,
      ) {
        const seen: CloudEvent[] = [];
        ports.subscribe(appId, {
          pubsubName: ports.pubsubName,
          topic,
          handle: async (event) => {
            seen.push(event);
            return answer(event, seen.length);
          },
        });
        return seen;
      }

      it('delivers a CloudEvent carrying the data, asynchronously', async () => {
        const topic = key('topic-basic');
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        const seen = subscriber('consumer', topic, async () => {
          await gate;
          return 'SUCCESS';
        });
        await ports.pubsub.publish(ports.pubsubName, topic, { hello: 'world' });
        // publish returned while the handler is still blocked: delivery does not run in the publisher's call
        const event = await eventually(() => seen[0]);
        release();
        expect(event.data).to.deep.equal({ hello: 'world' });
        expect(event.topic).to.equal(topic);
        expect(event.id).to.be.a('string').and.not.empty;
        expect(event.specversion).to.equal('1.0');
      });

      it('redelivers on RETRY and on a thrown handler, then settles on SUCCESS', async () => {
        const topic = key('topic-retry');
        const seen = subscriber('consumer', topic, async (_event, attempt) => {
          if (attempt === 1) return 'RETRY';
          if (attempt === 2) throw new Error('handler crashed');
          return 'SUCCESS';
        });
        await ports.pubsub.publish(ports.pubsubName, topic, { n: 1 });
        await eventually(() => (seen.length >= 3 ? true : undefined));
        await sleep(500);
        expect(seen).to.have.length(3);
        expect(new Set(seen.map((event) => event.id)).size).to.equal(1);
      });

      it('does not redeliver a dropped event', async () => {
        const topic = key('topic-drop');
        const seen = subscriber('consumer', topic, async () => 'DROP');
        await ports.pubsub.publish(ports.pubsubName, topic, {});
        await eventually(() => seen[0]);
        await sleep(500);
        expect(seen).to.have.length(1);
      });

      it('gives every app its copy, and one copy per app', async () => {
        const topic = key('topic-groups');
        const first = subscriber('app-a', topic, async () => 'SUCCESS');
        const second = subscriber('app-a', topic, async () => 'SUCCESS');
        const other = subscriber('app-b', topic, async () => 'SUCCESS');
        await ports.pubsub.publish(ports.pubsubName, topic, { x: 1 });
        await eventually(() => other[0]);
        await eventually(() => (first.length + second.length > 0 ? true : undefined));
        await sleep(300);
        expect(first.length + second.length).to.equal(1);
        expect(other).to.have.length(1);
      });
    });

    describe('invoke', () => {
      before(() => {
        ports.serve('callee', {
          echo: async (body) => ({ got: body }),
          refuse: async () => {
            throw new AppError(ErrorCode.USER_NOT_FOUND, { detail: 'nobody here' });
          },
        });
      });

      it('calls a method with JSON in and out', async () => {
        expect(await ports.invoke.invoke('callee', 'echo', { a: [1, 2] })).to.deep.equal({
          got: { a: [1, 2] },
        });
      });

      it('carries a domain error across as the same code', async () => {
        const error = await rejection(ports.invoke.invoke('callee', 'refuse', {}));
        expect(error).to.be.instanceOf(AppError);
        expect((error as AppError).code).to.equal(ErrorCode.USER_NOT_FOUND);
      });

      it('fails clearly for an unknown method', async () => {
        const error = await rejection(ports.invoke.invoke('callee', 'nope', {}));
        expect(error).to.be.instanceOf(AppError);
        expect((error as AppError).code).to.be.oneOf([ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.NOT_FOUND]);
      });
    });
  });
}
