/**
 * The events' two schemas agree: each topic's zod rules (contracts/event-rules.ts) name only fields
 * of its proto message and accept a full valid message, and the limits the rules keep hold at their
 * edge. Typed events reach a subscriber decoded; a malformed one is dropped once, counted, never
 * retried.
 */
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { expect } from 'chai';
import type { z } from 'zod';
import {
  AdminTopics,
  AuthTopics,
  GatewayTopics,
  GroupTopics,
  MessageTopics,
  SYSTEM_MESSAGE_TEXT_MAX,
  SystemMessageTopic,
  TimelineTopics,
  UserTopics,
} from '../../services/platform/contracts/index.ts';
import {
  decodeEvent,
  definedTopics,
  EventPublisher,
  encodeEvent,
  eventSubscription,
  type Topic,
} from '../../services/platform/events/index.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { droppedEvents } from '../../services/platform/ports/delivery-metrics.ts';
import { EmbeddedBus } from '../../services/platform/ports/embedded/pubsub.ts';

const at = timestampFromDate(new Date('2026-11-30T06:20:14.123Z'));

/** A full, valid message of every topic that has rules. */
const SAMPLES: Record<string, Record<string, unknown>> = {
  'auth.user.registered': {
    userId: '1001',
    account: 'alice',
    phoneNumber: '+8613800000000',
    email: 'a@example.com',
    nickname: 'Alice',
    registeredAt: at,
  },
  'auth.session.revoked': {
    userId: '1001',
    sessionId: '77',
    deviceId: 'web-1',
    deviceType: 'Web',
    reason: 'logout',
  },
  'auth.account.status-changed': { userId: '1001', status: 3 },
  'auth.login.recorded': {
    userId: '1001',
    account: 'alice',
    success: false,
    failure: 'wrong_password',
    deviceId: 'web-1',
    deviceType: 'Web',
    ip: '127.0.0.1',
    userAgent: 'test/1.0',
    at,
  },
  'user.profile.updated': {
    userId: '1001',
    changed: ['nickname'],
    profile: { nickname: 'Alice', avatar: 'https://example.com/a.png', signature: 'hi' },
  },
  'gateway.device.left': { userId: '1002', deviceId: 'ios-1', afterSyncSeq: 41n, leftAt: at },
  'group.changed': { groupId: '5001', kind: 'group.member.joined' },
  'message.created': {
    messageId: '9001',
    sessionId: 's_1001_1002',
    sessionType: 'single',
    senderId: '1001',
    targetId: '1002',
    participants: ['1001', '1002'],
    seq: 1n,
    contentType: 'text',
    preview: 'hello',
    mentions: [],
    mentionAll: false,
    createdAt: at,
  },
  'message.read': { userId: '1002', sessionId: 's_1001_1002', readSeq: 1n, readAt: at },
  'message.recalled': {
    messageId: '9001',
    sessionId: 's_1001_1002',
    participants: ['1001', '1002'],
    seq: 1n,
    recalledBy: '1001',
    recalledAt: at,
  },
  'message.cleared': { userId: '1002', sessionId: 's_1001_1002', clearedSeq: 1n },
  'message.edited': {
    messageId: '9001',
    sessionId: 's_1001_1002',
    participants: ['1001', '1002'],
    seq: 1n,
    version: 1,
    preview: 'hello again',
    editedAt: at,
  },
  'message.reacted': {
    messageId: '9001',
    sessionId: 's_1001_1002',
    sessionType: 'single',
    targetId: '1002',
    authorId: '1001',
    userId: '1002',
    emoji: '👍',
    seq: 1n,
    preview: 'hello',
    reactedAt: at,
  },
  'message.system.requested': {
    eventId: 'group.member.joined:1',
    groupId: '5001',
    recipients: ['1001', '1002'],
    kind: 'group.member.joined',
    text: 'Bob joined',
    data: { userIds: ['1002'] },
  },
  'user.push-token.changed': {
    userId: '1002',
    deviceId: 'web-1',
    removed: false,
    pushToken: '{"endpoint":"https://push.example.com/x","keys":{"p256dh":"BA","auth":"AA"}}',
    platform: 'Web',
    provider: 'webpush',
    language: 'en',
    version: '1796030770931',
  },
  'timeline.append': {
    eventId: 'friend.request:1',
    recipients: ['1002'],
    kind: 'friend.request.received',
    payload: { fromUserId: '1001' },
    originDevice: { userId: '1001', deviceId: 'web-1' },
  },
};

const encode = <Desc extends DescMessage>(topic: Topic<Desc>, sample: Record<string, unknown>) =>
  encodeEvent(topic, sample as MessageInitShape<Desc> as never);

/** The services' topics; other suites (the ports contract) define topics of their own in the same run. */
const SERVICE_TOPICS = new Set<string>([
  ...Object.values(AdminTopics),
  ...Object.values(AuthTopics),
  ...Object.values(GatewayTopics),
  ...Object.values(GroupTopics),
  ...Object.values(MessageTopics),
  SystemMessageTopic,
  ...Object.values(TimelineTopics),
  ...Object.values(UserTopics),
]);

describe('event contracts: proto messages and their rules', () => {
  for (const { name, schema, rules } of definedTopics().filter(
    (topic) => topic.rules && SERVICE_TOPICS.has(topic.name),
  )) {
    describe(name, () => {
      const topic = name as Topic;
      it('has rules that name only fields of its message', () => {
        const jsonNames = new Set(schema.fields.map((field) => field.jsonName));
        const ruleKeys = Object.keys((rules as z.ZodObject).shape);
        expect(ruleKeys.filter((key) => !jsonNames.has(key))).to.deep.equal([]);
      });
      it('accepts a full valid message, as published', () => {
        const sample = SAMPLES[name];
        expect(sample, `a sample of ${name} in this test`).not.to.equal(undefined);
        const decoded = decodeEvent(topic, encode(topic, sample!));
        expect(decoded).to.include({ ok: true });
      });
      it('drops what is not its message', () => {
        expect(decodeEvent(topic, [])).to.include({ ok: false });
        expect(decodeEvent(topic, 'text')).to.include({ ok: false });
        expect(decodeEvent(topic, {})).to.include({ ok: false });
      });
    });
  }

  it('keeps SYSTEM_MESSAGE_TEXT_MAX: a text of that length passes, one character more is dropped', () => {
    const request = SAMPLES['message.system.requested']!;
    const withText = (text: string) =>
      decodeEvent(SystemMessageTopic, encode(SystemMessageTopic, { ...request, text }));
    expect(withText('x'.repeat(SYSTEM_MESSAGE_TEXT_MAX))).to.include({ ok: true });
    const tooLong = withText('x'.repeat(SYSTEM_MESSAGE_TEXT_MAX + 1));
    expect(tooLong).to.include({ ok: false });
    expect(JSON.stringify(tooLong)).to.contain('text');
  });

  it('refuses ids that are not ids and counts out of range, as the zod schemas did', () => {
    const append = SAMPLES['timeline.append']!;
    expect(
      decodeEvent(TimelineTopics.append, encode(TimelineTopics.append, { ...append, recipients: [] })),
    ).to.include({ ok: false });
    expect(
      decodeEvent(TimelineTopics.append, encode(TimelineTopics.append, { ...append, recipients: ['x1'] })),
    ).to.include({ ok: false });
    expect(
      decodeEvent(GroupTopics.changed, encode(GroupTopics.changed, { groupId: '99999999999999999999' })),
    ).to.include({ ok: false });
  });

  it('writes the JSON the consumers read before: camelCase, string ids, [] and false written out', () => {
    const json = encode(UserTopics.profileUpdated, {
      userId: '1001',
      changed: [],
      profile: { nickname: 'A' },
    });
    expect(json).to.deep.equal({ userId: '1001', changed: [], profile: { nickname: 'A' } });
    const login = encode(AdminTopics.loginRecorded, { ...SAMPLES['auth.login.recorded']!, success: false });
    expect(login).to.include({ success: false, at: '2026-11-30T06:20:14.123Z', userId: '1001' });
  });

  it('reads the forms stored before the contracts were proto: null for absent, ISO times', () => {
    const old = {
      userId: '1001',
      account: 'alice',
      phoneNumber: null,
      email: null,
      nickname: null,
      registeredAt: '2026-11-30T06:20:14.000Z',
    };
    const decoded = decodeEvent(AuthTopics.userRegistered, old);
    expect(decoded.ok).to.equal(true);
    if (!decoded.ok) return;
    expect(decoded.message.phoneNumber).to.equal(undefined);
    expect(decoded.message.registeredAt?.seconds).to.equal(BigInt(Date.parse(old.registeredAt) / 1000));
  });

  it('reads int64 as the number older rows and the store_message procedure wrote, or as a string', () => {
    const created = encode(MessageTopics.created, SAMPLES['message.created']!);
    expect(created.seq).to.equal('1');
    const fromNumber = decodeEvent(MessageTopics.created, { ...created, seq: 1 });
    const fromString = decodeEvent(MessageTopics.created, created);
    expect(fromNumber.ok && fromString.ok).to.equal(true);
    if (fromNumber.ok && fromString.ok) expect(fromNumber.message).to.deep.equal(fromString.message);
    expect(decodeEvent(MessageTopics.created, { ...created, seq: 1.5 })).to.include({ ok: false });
    expect(decodeEvent(MessageTopics.created, { ...created, seq: 0 })).to.include({ ok: false });
  });
});

describe('typed events over the embedded bus', () => {
  const logger = createLogger('silent');
  let bus: EmbeddedBus;
  beforeEach(() => {
    bus = new EmbeddedBus(logger, { retryDelayMs: 5, maxAttempts: 3 });
  });
  afterEach(() => bus.close());

  const rejectedCount = async (topic: string) =>
    (await droppedEvents.get()).values
      .filter((value) => value.labels.topic === topic && value.labels.reason === 'rejected')
      .reduce((sum, value) => sum + value.value, 0);

  it('hands a subscriber the decoded message that was published with the generated type', async () => {
    const received: unknown[] = [];
    bus.subscribe(
      'consumer',
      eventSubscription({
        pubsubName: 'pubsub',
        topic: AuthTopics.userRegistered,
        logger,
        handle: async (message) => received.push(message),
      }),
    );
    await new EventPublisher(bus.port('auth'), 'pubsub').publish(AuthTopics.userRegistered, {
      userId: '1001',
      account: 'alice',
      registeredAt: at,
    });
    await bus.idle();
    expect(received).to.have.length(1);
    expect(received[0]).to.include({ $typeName: 'anychat.auth.v1.UserRegistered', userId: '1001' });
    expect((received[0] as { registeredAt: unknown }).registeredAt).to.deep.equal(at);
  });

  it('drops a malformed payload once, counts it, and never calls the handler', async () => {
    let calls = 0;
    let deliveries = 0;
    const subscription = eventSubscription({
      pubsubName: 'pubsub',
      topic: AuthTopics.accountStatusChanged,
      logger,
      handle: async () => {
        calls++;
      },
    });
    bus.subscribe('consumer', {
      ...subscription,
      handle: async (event) => {
        deliveries++;
        return subscription.handle(event);
      },
    });
    const before = await rejectedCount(AuthTopics.accountStatusChanged);
    const raw = bus.port('someone');
    await raw.publish('pubsub', AuthTopics.accountStatusChanged, { userId: 1001, status: 'deleted' });
    await raw.publish('pubsub', AuthTopics.accountStatusChanged, { userId: 'not-an-id', status: 3 });
    await bus.idle();
    expect(calls).to.equal(0);
    expect(deliveries).to.equal(2);
    expect(await rejectedCount(AuthTopics.accountStatusChanged)).to.equal(before + 2);
  });
});
