import { expect } from 'chai';
import type { MessageCreated } from '../../services/platform/contracts/gen/anychat/message/v1/events_pb.ts';
import { MessageTopics } from '../../services/platform/contracts/index.ts';
import {
  type MikroORM,
  openServiceDatabase,
  type SqlExecutor,
  sqlExecutor,
} from '../../services/platform/db/index.ts';
import { EventPublisher, eventSubscription } from '../../services/platform/events/index.ts';
import { SnowflakeGenerator } from '../../services/platform/ids.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { PresenceRegistry } from '../../services/platform/presence/index.ts';
import { Directory } from '../../services/push/clients/directory.ts';
import {
  ConversationState,
  Dispatcher,
  Preferences,
  PushPlanner,
  Registrations,
} from '../../services/push/domain/index.ts';
import { createProviders, vapidKeys } from '../../services/push/providers/index.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriendAll } from '../support/chat.ts';
import { testConfig } from '../support/platform.ts';
import { WsClient } from '../support/ws-client.ts';
import { claimedFor, type PushWorld, sendText, startPushWorld, subscribeWebPush } from './support.ts';

/** Every statement run through `sql` lands in `into`; one whose parameters hold `poison` fails. */
function recording(sql: SqlExecutor, into: string[], poison: { value?: string }): SqlExecutor {
  return {
    query: (text, params = []) => {
      into.push(text);
      if (poison.value !== undefined && JSON.stringify(params).includes(poison.value))
        return Promise.reject(new Error('the database failed for this conversation'));
      return sql.query(text, params);
    },
    transaction: (work) => sql.transaction((inner) => work(recording(inner, into, poison))),
  };
}

/** A presence registry that counts its lookups. */
class CountedPresence extends PresenceRegistry {
  lookups = 0;
  override lookup(userIds: string[]) {
    this.lookups += 1;
    return super.lookup(userIds);
  }
}

/**
 * The push service takes `message.created` in batches: one read of the registrations and one of
 * presence for all the recipients of all the batch's messages, then each message planned as
 * alone. Real messages of the embedded platform (PostgreSQL), their events captured before any
 * device was registered (the platform's own push service pushed nothing for them), then planned
 * by the test's own planner over the platform's database, presence and services, its statements
 * counted; pushes go to the test's Web Push endpoint.
 */
describe('push: a batch of message.created', function () {
  this.timeout(90_000);
  let world: PushWorld;
  let orm: MikroORM;

  before(async function () {
    await requirePostgres(this);
    world = await startPushWorld();
    orm = await openServiceDatabase({
      url: world.platform.backend.env.DATABASE_URL!,
      schema: 'push',
      entities: [],
      migrations: [],
      poolMax: 2,
      logger: createLogger('silent'),
    });
  });
  after(async () => {
    await orm?.close();
    await world?.stop();
  });

  it('pushes exactly the offline registered recipients, reading registrations and presence once, each message answered alone', async () => {
    const api = world.platform.api;
    const sender = await registerUser(api, { nickname: 'Sam' });
    const [offline, online, unregistered, failing] = await Promise.all([
      registerUser(api),
      registerUser(api),
      registerUser(api),
      registerUser(api),
    ]);
    await befriendAll(api, sender, [offline!, online!, unregistered!, failing!]);

    const created: MessageCreated[] = [];
    const stop = world.platform.bus.subscribe(
      'test-capture',
      eventSubscription({
        pubsubName: world.platform.pubsubName,
        topic: MessageTopics.created,
        logger: createLogger('silent'),
        handle: async (message) => {
          if (message.senderId === sender.userId) created.push(message);
        },
      }),
    );
    const single = (user: { userId: string }) => ({ sessionType: 'single' as const, targetId: user.userId });
    let sent: Array<{ messageId: string; sessionId: string }>;
    try {
      sent = [
        await sendText(api, sender, single(offline!), 'one'),
        await sendText(api, sender, single(online!), 'two'),
        await sendText(api, sender, single(unregistered!), 'three'),
        await sendText(api, sender, single(failing!), 'four'),
        await sendText(api, sender, single(offline!), 'five'),
      ];
      await world.platform.host.settled();
    } finally {
      stop();
    }
    expect(created.map((m) => m.messageId)).to.have.members(sent.map((m) => m.messageId));
    created.sort(
      (a, b) =>
        sent.findIndex((s) => s.messageId === a.messageId) -
        sent.findIndex((s) => s.messageId === b.messageId),
    );
    for (const user of [offline!, online!, unregistered!, failing!])
      expect(await claimedFor(world, user.userId), 'nothing pushed before the devices').to.deep.equal([]);

    await subscribeWebPush(world, offline!, `b-offline-${offline!.userId}`);
    await subscribeWebPush(world, online!, `b-online-${online!.userId}`);
    await subscribeWebPush(world, failing!, `b-failing-${failing!.userId}`);
    const ws = await WsClient.connect(world.platform.host.url, online!.accessToken);
    const statements: string[] = [];
    const poison: { value?: string } = {};
    const sql = recording(sqlExecutor(orm), statements, poison);
    const config = testConfig({
      ...world.platform.backend.env,
      PUSH_CA_FILE: world.certificate.certFile,
      PUSH_RETRY_BASE_MS: '20',
      PUSH_TTL_SECONDS: '3600',
      PUSH_VAPID_SUBJECT: 'mailto:ops@anychat.test',
    });
    const logger = createLogger('silent');
    const registrations = new Registrations(sql);
    const directory = new Directory(world.platform.invoker);
    const dispatcher = new Dispatcher({
      sql,
      ids: new SnowflakeGenerator(7),
      logger,
      providers: createProviders(config.push, await vapidKeys(sqlExecutor(orm), config.push.vapid)),
      registrations,
      directory,
      events: new EventPublisher(world.platform.bus.port('push-test'), world.platform.pubsubName),
      maxAttempts: 3,
      retryBaseMs: 20,
      concurrency: 4,
    });
    const presence = new CountedPresence(world.platform.host.sharedState, {
      entryTtlSeconds: config.gateway.presenceTtlSeconds,
    });
    const planner = new PushPlanner({
      registrations,
      preferences: new Preferences(sql, config.defaultLanguage),
      conversations: new ConversationState(sql),
      presence,
      directory,
      dispatcher,
      ttlSeconds: 3600,
    });
    try {
      // The failing user's conversation fails in the database once its registrations are read.
      poison.value = created[3]!.sessionId;
      const outcomes = await planner.messagesCreated(created, (m) => `message:${m.messageId}`);
      await dispatcher.settled();
      expect(outcomes.map((o) => o.status)).to.deep.equal([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      const registrationReads = statements.filter((s) =>
        /select[\s\S]*from "push"."push_registrations"/.test(s),
      );
      expect(registrationReads, 'one registrations read for five messages').to.have.length(1);
      expect(presence.lookups, 'one presence lookup for five messages').to.equal(1);

      expect(await claimedFor(world, offline!.userId)).to.have.members([
        `message:${sent[0]!.messageId}`,
        `message:${sent[4]!.messageId}`,
      ]);
      expect(await claimedFor(world, online!.userId), 'connected: no push').to.deep.equal([]);
      expect(await claimedFor(world, unregistered!.userId), 'no device: no push').to.deep.equal([]);
      expect(await claimedFor(world, failing!.userId), 'its planning failed').to.deep.equal([]);
      const pushes = await world.endpoint.nth(`b-offline-${offline!.userId}`, 2);
      expect(pushes.payload.data).to.include({ sessionId: created[0]!.sessionId });
      expect(world.endpoint.pushesFor(`b-online-${online!.userId}`)).to.have.length(0);

      // Its redelivery (alone, the database well again) pushes it; the others are pushed once only.
      poison.value = undefined;
      const retried = await planner.messagesCreated([created[3]!], (m) => `message:${m.messageId}`);
      expect(retried.map((o) => o.status)).to.deep.equal(['fulfilled']);
      const again = await planner.messagesCreated(created, (m) => `message:${m.messageId}`);
      expect(again.every((o) => o.status === 'fulfilled')).to.equal(true);
      await dispatcher.settled();
      expect(await claimedFor(world, failing!.userId)).to.deep.equal([`message:${sent[3]!.messageId}`]);
      expect(await claimedFor(world, offline!.userId)).to.have.length(2);
    } finally {
      await dispatcher.stop();
      await ws.close();
    }
  });
});
