/**
 * The contract every adapter of the state, pub/sub and invoke ports must pass (DESIGN §3). It runs on
 * the embedded adapter here; the Dapr adapter runs the same suite against a real sidecar.
 */

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { expect } from 'chai';
import { z } from 'zod';
import { EventRules } from '../../services/platform/contracts/event-rules.ts';
import {
  CalleeService,
  EchoRequestSchema,
  EchoResponseSchema,
} from '../../services/platform/contracts/gen/anychat/callee/v1/callee_pb.ts';
import {
  type MessageRead,
  MessageReadSchema,
} from '../../services/platform/contracts/gen/anychat/message/v1/events_pb.ts';
import { UserService } from '../../services/platform/contracts/gen/anychat/user/v1/user_pb.ts';
import { AppError, ErrorCode } from '../../services/platform/errors.ts';
import { EventPublisher, eventSubscription, eventTopic } from '../../services/platform/events/index.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { withTraceId } from '../../services/platform/ports/connect.ts';
import { droppedEvents } from '../../services/platform/ports/delivery-metrics.ts';
import {
  type CloudEvent,
  type DeliveryResult,
  EtagMismatchError,
  type InternalService,
  InvalidStateKeyError,
  type InvokePort,
  internalService,
  type PubSubPort,
  type StatePort,
  type Subscription,
  updateItem,
} from '../../services/platform/ports/index.ts';
import { limitsContract } from './limits.contract.ts';

export interface PortsUnderTest {
  state: StatePort;
  /** Publisher of app `publisher`. */
  pubsub: PubSubPort;
  pubsubName: string;
  invoke: InvokePort;
  /**
   * Dapr's Redis state store: takes a save under an ETag for a key that does not exist, and applies
   * the rest of a transaction when one operation's ETag is stale.
   */
  acceptsEtagForMissingKey?: boolean;
  /** Failed deliveries after which the adapter drops an event (PUBSUB_MAX_DELIVERY_ATTEMPTS). */
  maxDeliveryAttempts: number;
  /** Dapr only: the sidecar's service invocation URL of an app's method path (what goes on the wire). */
  sidecarInvokeUrl?: (appId: string, path: string) => string;
}

/** Topics of the contract: fixed names, since a real broker learns its subscriptions when an app starts. */
export const CONTRACT_TOPICS = {
  basic: 'contract.basic',
  retry: 'contract.retry',
  drop: 'contract.drop',
  groups: 'contract.groups',
  poison: 'contract.poison',
  typed: 'contract.typed',
  bulk: 'contract.bulk',
} as const;

/** The bulk subscriber's limits: small, so that a test's events need several batches. */
const BULK = { maxMessages: 10, maxAwaitMs: 100 };

/**
 * A topic of the contract typed by a real event message and its rules (platform/events), for typed
 * publish and subscribe.
 */
const TYPED_TOPIC = eventTopic(CONTRACT_TOPICS.typed, MessageReadSchema, EventRules.messageRead);

/**
 * One app instance the adapter under test must run, with its subscriptions and internal methods,
 * all known before start (as in a cluster). `app-a` runs twice: replicas of one app.
 */
export interface ContractApp {
  instance: string;
  appId: string;
  subscriptions: Subscription[];
  internal: InternalService[];
}

/** The contract's callee: echoes (with the trace id it saw) and refuses with the error it is sent. */
const callee = internalService(
  CalleeService,
  {
    echo: z.object({ text: z.string(), numbers: z.array(z.bigint()), label: z.string().max(10) }),
    refuse: z.object({
      error: z
        .object({ code: z.number().int(), detail: z.string(), data: z.unknown().optional() })
        .optional(),
    }),
  },
  {
    echo: async (input, call) => ({ got: input, traceId: call.traceId ?? '' }),
    refuse: async ({ error }) => {
      throw new AppError(error?.code ?? ErrorCode.UNKNOWN, {
        detail: error?.detail,
        data: { field: 'label', issues: ['too long'] },
      });
    },
  },
);

type Answer = (event: CloudEvent, attempt: number) => Promise<DeliveryResult>;

/** Wires the contract's apps; each test sets how each (instance, topic) answers and reads what it saw. */
class Wiring {
  readonly #answers = new Map<string, Answer>();
  readonly #seen = new Map<string, CloudEvent[]>();
  /** Messages the typed subscriber was handed, decoded. */
  readonly decoded: MessageRead[] = [];

  apps(pubsubName: string): ContractApp[] {
    const decoding = eventSubscription({
      pubsubName,
      topic: TYPED_TOPIC,
      logger: createLogger('silent'),
      handle: async (message) => this.decoded.push(message),
    });
    const typed: Subscription = {
      ...decoding,
      handle: async (event) => {
        this.seen('consumer', TYPED_TOPIC).push(event);
        return decoding.handle(event);
      },
    };
    const sub = (instance: string, topic: string): Subscription => ({
      pubsubName,
      topic,
      handle: async (event) => {
        const seen = this.seen(instance, topic);
        seen.push(event);
        const answer = this.#answers.get(`${instance}/${topic}`) ?? (async () => 'SUCCESS' as const);
        return answer(event, seen.filter((other) => other.id === event.id).length);
      },
    });
    const t = CONTRACT_TOPICS;
    return [
      {
        instance: 'consumer',
        appId: 'consumer',
        subscriptions: [
          this.#bulk(pubsubName),
          sub('consumer', t.basic),
          sub('consumer', t.retry),
          sub('consumer', t.drop),
          sub('consumer', t.poison),
          typed,
        ],
        internal: [],
      },
      { instance: 'app-a-1', appId: 'app-a', subscriptions: [sub('app-a-1', t.groups)], internal: [] },
      { instance: 'app-a-2', appId: 'app-a', subscriptions: [sub('app-a-2', t.groups)], internal: [] },
      { instance: 'app-b', appId: 'app-b', subscriptions: [sub('app-b', t.groups)], internal: [] },
      {
        instance: 'callee',
        appId: 'callee',
        subscriptions: [],
        internal: [callee],
      },
    ];
  }

  /** Batches the bulk subscriber was handed, and how it answers each event (by attempt). */
  readonly batches: CloudEvent[][] = [];
  bulkAnswer: (event: CloudEvent, attempt: number) => DeliveryResult = () => 'SUCCESS';

  /** The consumer's bulk subscription: records each batch, answers each entry as `bulkAnswer` says. */
  #bulk(pubsubName: string): Subscription {
    const handleBatch = async (events: CloudEvent[]) => {
      this.batches.push(events);
      const seen = this.batches.flat();
      return events.map((event) =>
        this.bulkAnswer(event, seen.filter((other) => other.id === event.id).length),
      );
    };
    return {
      pubsubName,
      topic: CONTRACT_TOPICS.bulk,
      handle: async (event) => (await handleBatch([event]))[0]!,
      bulk: { ...BULK, handle: handleBatch },
    };
  }

  /** Forgets what the typed subscriber saw; returns the deliveries and the decoded messages from now on. */
  typed(): { seen: CloudEvent[]; decoded: MessageRead[] } {
    const seen = this.seen('consumer', TYPED_TOPIC);
    seen.length = 0;
    this.decoded.length = 0;
    return { seen, decoded: this.decoded };
  }

  answer(instance: string, topic: string, answer: Answer): CloudEvent[] {
    this.#answers.set(`${instance}/${topic}`, answer);
    const seen = this.seen(instance, topic);
    seen.length = 0;
    return seen;
  }

  seen(instance: string, topic: string): CloudEvent[] {
    let seen = this.#seen.get(`${instance}/${topic}`);
    if (!seen) {
      seen = [];
      this.#seen.set(`${instance}/${topic}`, seen);
    }
    return seen;
  }
}

/** Topic → subscribing app-ids of the contract's apps (for adapters that wire a broker up front). */
export function contractTopicSubscribers(apps: ContractApp[]): Record<string, string[]> {
  const topics: Record<string, string[]> = {};
  for (const app of apps)
    for (const { topic } of app.subscriptions) {
      topics[topic] ??= [];
      if (!topics[topic].includes(app.appId)) topics[topic].push(app.appId);
    }
  return topics;
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

async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** How many events of a topic adapters in this process have dropped, as poison or as rejected by the subscriber. */
async function droppedCount(topic: string, reason = 'retries_exhausted'): Promise<number> {
  const metric = await droppedEvents.get();
  return metric.values
    .filter((value) => value.labels.topic === topic && value.labels.reason === reason)
    .reduce((sum, value) => sum + value.value, 0);
}

let unique = 0;
const key = (name: string) => `${name}-${Date.now()}-${unique++}`;

export function portsContract(
  adapterName: string,
  setup: (
    apps: (pubsubName: string) => ContractApp[],
  ) => Promise<{ ports: PortsUnderTest; teardown(): Promise<void> }>,
) {
  describe(`ports contract [${adapterName}]`, function () {
    this.timeout(60_000);
    let ports: PortsUnderTest;
    let teardown: () => Promise<void>;
    const wiring = new Wiring();
    before(async function () {
      this.timeout(300_000);
      ({ ports, teardown } = await setup((pubsubName) => wiring.apps(pubsubName)));
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

      it('refuses keys containing "||" (Dapr\'s prefix separator) before touching the store', async () => {
        for (const call of [
          store().save('a||b', 1),
          store().get('a||b'),
          store().transact([{ operation: 'delete', key: 'x||y' }]),
        ])
          expect(await rejection(call)).to.be.instanceOf(InvalidStateKeyError);
      });

      it('refuses an ETag for an item that does not exist', async function () {
        // Dapr's Redis state store compares ETags only for keys that exist; code must not rely on this.
        if (ports.acceptsEtagForMissingKey) this.skip();
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
        expect(error, String(error)).to.be.instanceOf(EtagMismatchError);
        // Dapr's Redis store runs each operation's version check on its own (MULTI/EXEC): the other
        // operations still apply. Services transact without ETags; only atomic stores promise this.
        if (!ports.acceptsEtagForMissingKey) expect(await store().get(a)).to.equal(undefined);
        else await store().delete(a);
        expect((await store().get(b))?.value).to.equal('old');
        await store().transact([
          { operation: 'upsert', key: a, value: 'new' },
          { operation: 'delete', key: b },
        ]);
        expect((await store().get(a))?.value).to.equal('new');
        expect(await store().get(b)).to.equal(undefined);
      });

      it('creates only if absent: a second create is refused while the item lives, allowed once it expired', async () => {
        const k = key('create-only');
        await store().save(k, 'first', { onlyIfAbsent: true, ttlInSeconds: 1 });
        const error = await rejection(store().save(k, 'second', { onlyIfAbsent: true }));
        expect(error).to.be.instanceOf(EtagMismatchError);
        expect((await store().get<string>(k))?.value).to.equal('first');
        await sleep(2_100);
        await store().save(k, 'third', { onlyIfAbsent: true });
        expect((await store().get<string>(k))?.value).to.equal('third');
      });

      it('lets exactly one of many parallel creates of one key win', async () => {
        const k = key('create-race');
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store().save(k, i, { onlyIfAbsent: true })),
        );
        expect(results.filter((result) => result.status === 'fulfilled')).to.have.length(1);
        for (const result of results)
          if (result.status === 'rejected') expect(result.reason).to.be.instanceOf(EtagMismatchError);
      });

      it('loses no update of many parallel read-modify-writes, the first ones included (updateItem)', async () => {
        const k = key('counter');
        const results = await Promise.allSettled(
          Array.from({ length: 25 }, () =>
            updateItem<number>(store(), k, (n) => (n ?? 0) + 1, {
              ttlInSeconds: 60,
              maxAttempts: 100,
              jitterMs: 5,
            }),
          ),
        );
        const written = results.filter((result) => result.status === 'fulfilled');
        expect(written).to.have.length(25);
        // Each call saved its own value: 1..25, once each.
        expect(written.map((result) => result.value).sort((a, b) => a - b)).to.deep.equal(
          Array.from({ length: 25 }, (_, i) => i + 1),
        );
        expect((await store().get<number>(k))?.value).to.equal(25);
      });

      it('keeps named stores apart', async () => {
        const k = key('isolated');
        await ports.state.store('statestore').save(k, 'here');
        expect(await ports.state.store('otherstore').get(k)).to.equal(undefined);
      });
    });

    describe('limits under parallel attempts', () => limitsContract(() => ports.state.store('statestore')));

    describe('pub/sub', () => {
      const t = CONTRACT_TOPICS;

      it('delivers a CloudEvent carrying the data, asynchronously', async () => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        const seen = wiring.answer('consumer', t.basic, async () => {
          await gate;
          return 'SUCCESS';
        });
        await ports.pubsub.publish(ports.pubsubName, t.basic, { hello: 'world' });
        // publish returned while the handler is still blocked: delivery does not run in the publisher's call
        const event = await eventually(() => seen[0]);
        release();
        expect(event.data).to.deep.equal({ hello: 'world' });
        expect(event.topic).to.equal(t.basic);
        expect(event.id).to.be.a('string').and.not.empty;
        expect(event.specversion).to.equal('1.0');
      });

      it('redelivers on RETRY and on a thrown handler, then settles on SUCCESS', async () => {
        const seen = wiring.answer('consumer', t.retry, async (_event, attempt) => {
          if (attempt === 1) return 'RETRY';
          if (attempt === 2) throw new Error('handler crashed');
          return 'SUCCESS';
        });
        await ports.pubsub.publish(ports.pubsubName, t.retry, { n: 1 });
        await eventually(() => (seen.length >= 3 ? true : undefined), 20_000);
        await sleep(1_000);
        expect(seen).to.have.length(3);
        expect(new Set(seen.map((event) => event.id)).size).to.equal(1);
      });

      it('does not redeliver a dropped event', async () => {
        const seen = wiring.answer('consumer', t.drop, async () => 'DROP');
        await ports.pubsub.publish(ports.pubsubName, t.drop, {});
        await eventually(() => seen[0]);
        await sleep(1_000);
        expect(seen).to.have.length(1);
      });

      it('drops an event that keeps failing after bounded attempts, counts it, and the topic flows on', async () => {
        const before = await droppedCount(t.poison);
        const seen = wiring.answer('consumer', t.poison, async (event) => {
          if ((event.data as { poison?: boolean }).poison) throw new Error('cannot process this one');
          return 'SUCCESS';
        });
        await ports.pubsub.publish(ports.pubsubName, t.poison, { poison: true });
        await ports.pubsub.publish(ports.pubsubName, t.poison, { poison: false });
        await eventually(() => seen.find((event) => !(event.data as { poison: boolean }).poison), 30_000);
        await eventually(async () => ((await droppedCount(t.poison)) > before ? true : undefined), 60_000);
        await sleep(1_500);
        const poisonAttempts = seen.filter((event) => (event.data as { poison: boolean }).poison);
        expect(poisonAttempts).to.have.length(ports.maxDeliveryAttempts);
        expect(await droppedCount(t.poison)).to.equal(before + 1);
      });

      it('gives every app its copy, and one copy per app', async () => {
        const first = wiring.answer('app-a-1', t.groups, async () => 'SUCCESS');
        const second = wiring.answer('app-a-2', t.groups, async () => 'SUCCESS');
        const other = wiring.answer('app-b', t.groups, async () => 'SUCCESS');
        for (let n = 0; n < 10; n++) await ports.pubsub.publish(ports.pubsubName, t.groups, { n });
        await eventually(() => (other.length === 10 ? true : undefined));
        await eventually(() => (first.length + second.length === 10 ? true : undefined));
        await sleep(1_000);
        expect(first.length + second.length).to.equal(10);
        expect(other).to.have.length(10);
      });

      it('hands a typed subscriber the message published with its generated type, decoded', async () => {
        const { seen, decoded } = wiring.typed();
        const readAt = timestampFromDate(new Date('2026-11-30T07:00:00.500Z'));
        await new EventPublisher(ports.pubsub, ports.pubsubName).publish(TYPED_TOPIC, {
          userId: '1001',
          sessionId: 's_1001_1002',
          readSeq: 42n,
          readAt,
        });
        const message = await eventually(() => decoded[0]);
        expect(message).to.include({
          $typeName: 'anychat.message.v1.MessageRead',
          userId: '1001',
          sessionId: 's_1001_1002',
          readSeq: 42n,
        });
        expect(timestampDate(message.readAt!).toISOString()).to.equal('2026-11-30T07:00:00.500Z');
        // On the wire: the message's proto3 JSON as the CloudEvent's data.
        expect(seen[0]!.data).to.deep.equal({
          userId: '1001',
          sessionId: 's_1001_1002',
          readSeq: '42',
          readAt: '2026-11-30T07:00:00.500Z',
        });
      });

      it("drops an event that is not its topic's message once, counts it, and never hands it over", async () => {
        const { seen, decoded } = wiring.typed();
        const before = await droppedCount(TYPED_TOPIC, 'rejected');
        // Not the message (a number for a string), then the message breaking its rules.
        await ports.pubsub.publish(ports.pubsubName, TYPED_TOPIC, { userId: 1001, readSeq: 'many' });
        await ports.pubsub.publish(ports.pubsubName, TYPED_TOPIC, {
          userId: '1001',
          sessionId: 'not a conversation',
          readSeq: '1',
        });
        await eventually(async () =>
          (await droppedCount(TYPED_TOPIC, 'rejected')) >= before + 2 ? true : undefined,
        );
        await sleep(1_000);
        expect(seen).to.have.length(2);
        expect(decoded).to.deep.equal([]);
        expect(await droppedCount(TYPED_TOPIC, 'rejected')).to.equal(before + 2);
      });
    });

    describe('pub/sub, bulk delivery', () => {
      const published = async (count: number, data: (n: number) => Record<string, unknown>) => {
        wiring.batches.length = 0;
        for (let n = 0; n < count; n++)
          await ports.pubsub.publish(ports.pubsubName, CONTRACT_TOPICS.bulk, data(n));
      };
      const deliveries = () => wiring.batches.flat();

      it('hands a bulk subscriber its events in batches within its limit, each once when answered SUCCESS', async () => {
        wiring.bulkAnswer = () => 'SUCCESS';
        await published(30, (n) => ({ n }));
        await eventually(
          () => (new Set(deliveries().map((e) => e.id)).size === 30 ? true : undefined),
          20_000,
        );
        await sleep(1_000);
        const events = deliveries();
        expect(events).to.have.length(30);
        expect(events.map((e) => (e.data as { n: number }).n).sort((a, b) => a - b)).to.deep.equal([
          ...Array(30).keys(),
        ]);
        expect(events.every((e) => e.topic === CONTRACT_TOPICS.bulk && e.specversion === '1.0')).to.equal(
          true,
        );
        expect(Math.max(...wiring.batches.map((b) => b.length))).to.be.within(2, BULK.maxMessages);
      });

      it('settles each entry alone: RETRY entries come again, DROP and SUCCESS entries do not', async () => {
        const before = await droppedCount(CONTRACT_TOPICS.bulk, 'rejected');
        wiring.bulkAnswer = (event, attempt) => {
          const { answer } = event.data as { answer: DeliveryResult };
          return answer === 'RETRY' && attempt > 1 ? 'SUCCESS' : answer;
        };
        const answers: DeliveryResult[] = ['SUCCESS', 'RETRY', 'DROP'];
        await published(12, (n) => ({ n, answer: answers[n % 3] }));
        await eventually(() => (deliveries().length >= 16 ? true : undefined), 20_000);
        await sleep(1_500);
        const times = new Map<number, number>();
        for (const event of deliveries()) {
          const { n } = event.data as { n: number };
          times.set(n, (times.get(n) ?? 0) + 1);
        }
        for (let n = 0; n < 12; n++) expect(times.get(n), `event ${n}`).to.equal(n % 3 === 1 ? 2 : 1);
        expect(await droppedCount(CONTRACT_TOPICS.bulk, 'rejected')).to.equal(before + 4);
      });
    });

    describe('invoke', () => {
      it('calls a contract method, typed protobuf in and out', async () => {
        const big = 2n ** 53n + 1n;
        const answer = await ports.invoke.call(CalleeService.method.echo, {
          text: '你好, é',
          numbers: [1n, big],
          label: 'short',
        });
        expect(answer.got?.text).to.equal('你好, é');
        expect(answer.got?.numbers).to.deep.equal([1n, big]);
        expect(answer.got?.label).to.equal('short');
      });

      it('carries the trace id to the callee', async () => {
        const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
        const answer = await ports.invoke.call(
          CalleeService.method.echo,
          { text: 'x', numbers: [], label: '' },
          { traceId },
        );
        expect(answer.traceId).to.equal(traceId);
      });

      it('carries the trace id of the work in progress to the callee, unless the call names one', async () => {
        const traceId = 'a3ce929d0e0e47364bf92f3577b34da6';
        const answer = await withTraceId(traceId, () =>
          ports.invoke.call(CalleeService.method.echo, { text: 'x', numbers: [], label: '' }),
        );
        expect(answer.traceId).to.equal(traceId);
        const own = '0af7651916cd43dd8448eb211c80319c';
        const named = await withTraceId(traceId, () =>
          ports.invoke.call(
            CalleeService.method.echo,
            { text: 'x', numbers: [], label: '' },
            { traceId: own },
          ),
        );
        expect(named.traceId).to.equal(own);
      });

      it('carries a domain error across as the same AppError (code, detail, data)', async () => {
        const error = await rejection(
          ports.invoke.call(CalleeService.method.refuse, {
            error: { code: ErrorCode.USER_NOT_FOUND, detail: 'nobody here' },
          }),
        );
        expect(error).to.be.instanceOf(AppError);
        expect((error as AppError).code).to.equal(ErrorCode.USER_NOT_FOUND);
        expect((error as AppError).detail).to.equal('nobody here');
        expect((error as AppError).data).to.deep.equal({ field: 'label', issues: ['too long'] });
      });

      it('keeps the details of an internal failure with the callee', async () => {
        const error = await rejection(
          ports.invoke.call(CalleeService.method.refuse, {
            error: { code: ErrorCode.DATABASE_ERROR, detail: 'connection to 10.0.0.7 refused' },
          }),
        );
        expect((error as AppError).code).to.equal(ErrorCode.DATABASE_ERROR);
        expect((error as AppError).detail).to.equal(undefined);
      });

      it('refuses input its schema refuses with 000001, at the callee', async () => {
        const error = await rejection(
          ports.invoke.call(CalleeService.method.echo, {
            text: 'x',
            numbers: [],
            label: 'far too long a label',
          }),
        );
        expect(error).to.be.instanceOf(AppError);
        expect((error as AppError).code).to.equal(ErrorCode.INVALID_PARAMS);
        expect((error as AppError).detail).to.match(/label/);
      });

      it('puts binary protobuf on the wire, through the sidecar and back (Dapr)', async function () {
        if (!ports.sidecarInvokeUrl) this.skip();
        const method = CalleeService.method.echo;
        const response = await fetch(
          ports.sidecarInvokeUrl!('callee', `${CalleeService.typeName}/${method.name}`),
          {
            method: 'POST',
            headers: { 'content-type': 'application/proto', 'connect-protocol-version': '1' },
            body: toBinary(
              EchoRequestSchema,
              create(EchoRequestSchema, { text: 'raw', numbers: [7n], label: 'x' }),
            ),
          },
        );
        expect(response.status).to.equal(200);
        expect(response.headers.get('content-type')).to.equal('application/proto');
        const answer = fromBinary(EchoResponseSchema, new Uint8Array(await response.arrayBuffer()));
        expect(answer.got?.text).to.equal('raw');
        expect(answer.got?.numbers).to.deep.equal([7n]);
      });

      it('fails clearly for a service no app serves', async () => {
        const error = await rejection(ports.invoke.call(UserService.method.getProfiles, { userIds: [] }));
        expect(error).to.be.instanceOf(AppError);
        expect((error as AppError).code).to.equal(ErrorCode.SERVICE_UNAVAILABLE);
      });
    });
  });
}
