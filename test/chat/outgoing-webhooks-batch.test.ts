import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { MessageStore } from '../../services/message/domain/store.ts';
import { OutgoingDeliveries } from '../../services/message/webhooks/index.ts';
import { OutgoingWebhookStore } from '../../services/message/webhooks/outgoing-store.ts';
import type { MessageCreated } from '../../services/platform/contracts/gen/anychat/message/v1/events_pb.ts';
import { MessageTopics } from '../../services/platform/contracts/index.ts';
import type { MikroORM } from '../../services/platform/db/index.ts';
import { openServiceDatabase, type SqlExecutor, sqlExecutor } from '../../services/platform/db/index.ts';
import { eventSubscription } from '../../services/platform/events/index.ts';
import { SnowflakeGenerator } from '../../services/platform/ids.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { Outbox } from '../../services/platform/outbox.ts';
import { fieldCipher } from '../../services/platform/security/index.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriendAll } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { clientMsgId } from '../support/ws-client.ts';

/** Statements run through `sql`, by their text. */
function counting(sql: SqlExecutor, into: string[]): SqlExecutor {
  return {
    query: (text, params) => {
      into.push(text);
      return sql.query(text, params);
    },
    transaction: (work) => sql.transaction((inner) => work(counting(inner, into))),
  };
}

/**
 * Outgoing webhooks take `message.created` in batches: the webhooks that follow any message of a
 * batch are read with one statement, and each message still goes only to its own. Real messages
 * of the embedded platform (PostgreSQL), handled by the test's own OutgoingDeliveries over the
 * platform's database, its statements counted.
 */
describe('outgoing webhooks: a batch of message.created', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  let orm: MikroORM;

  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' });
    orm = await openServiceDatabase({
      url: platform.backend.env.DATABASE_URL!,
      schema: 'message',
      entities: [],
      migrations: [],
      poolMax: 1,
      logger: createLogger('silent'),
    });
  });
  after(async () => {
    await orm?.close();
    await platform?.stop();
  });

  /** The `message.created` events of `senderId`'s messages that `send` makes, as the broker carries them. */
  async function createdEvents(senderId: string, send: () => Promise<void>): Promise<MessageCreated[]> {
    const created: MessageCreated[] = [];
    const stop = platform.bus.subscribe(
      'test-capture',
      eventSubscription({
        pubsubName: platform.pubsubName,
        topic: MessageTopics.created,
        logger: createLogger('silent'),
        handle: async (message) => {
          if (message.senderId === senderId) created.push(message);
        },
      }),
    );
    try {
      await send();
      await platform.host.settled();
    } finally {
      stop();
    }
    return created;
  }

  /** The test's own OutgoingDeliveries over the platform's database, through `sql`. */
  async function deliveriesOver(sql: SqlExecutor, timeoutMs: number) {
    const logger = createLogger('silent');
    return new OutgoingDeliveries({
      store: new OutgoingWebhookStore(sql),
      messages: new MessageStore(
        sql,
        new Outbox({
          sql,
          schema: 'message',
          pubsub: platform.bus.port('test'),
          pubsubName: platform.pubsubName,
          ids: new SnowflakeGenerator(1),
          logger,
        }),
      ),
      cipher: await fieldCipher(sqlExecutor(orm), 'message', undefined),
      limits: { allowPrivate: true, timeoutMs, perMinute: 600 },
      logger,
    });
  }

  it("reads the followers once for the whole batch and delivers only the bot's message to the bot's webhook", async () => {
    const api = platform.api;
    const owner = await registerUser(api);
    const [friend, other] = await Promise.all([registerUser(api), registerUser(api)]);
    await befriendAll(api, owner, [friend, other]);
    const bot = await api.ok<{ botId: string }>('POST', '/api/v1/bots', {
      token: owner.accessToken,
      body: { name: 'batch-echo' },
    });
    await api.ok('POST', '/api/v1/friends/requests', {
      token: owner.accessToken,
      body: { userId: bot.botId, source: 'search' },
    });
    const { groupId } = await api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: owner.accessToken,
      body: { name: 'no hooks here', memberIds: [friend.userId, other.userId] },
    });

    // The messages' events as the broker carries them, captured before any webhook exists (the
    // platform's own deliveries find none to go to).
    const send = (sessionType: string, targetId: string, content: string) =>
      api.ok<{ messageId: string }>('POST', '/api/v1/messages', {
        token: owner.accessToken,
        body: { clientMsgId: clientMsgId(), sessionType, targetId, contentType: 'text', content },
      });
    let toBot: { messageId: string };
    const created = await createdEvents(owner.userId, async () => {
      await send('single', friend.userId, 'hello friend');
      toBot = await send('single', bot.botId, '/weather');
      await send('single', other.userId, 'hello other');
      await send('group', groupId, 'hello group');
    });
    expect(created, 'four events captured').to.have.length(4);

    const received: Array<{ delivery: string; body: string }> = [];
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          delivery: String(request.headers['x-anychat-delivery']),
          body: Buffer.concat(chunks).toString(),
        });
        response.writeHead(204).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const made = await api.ok<{ webhookId: string }>(
        'POST',
        `/api/v1/messages/bots/${bot.botId}/outgoing-webhooks`,
        { token: owner.accessToken, body: { url } },
      );

      const statements: string[] = [];
      const sql = counting(sqlExecutor(orm), statements);
      const deliveries = await deliveriesOver(sql, 5000);

      const answers = await deliveries.handleBatch(created);
      expect(answers).to.deep.equal(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
      expect(received.map((r) => r.delivery)).to.deep.equal([`${made.webhookId}.${toBot!.messageId}`]);
      expect(JSON.parse(received[0]!.body).message).to.include({ messageId: toBot!.messageId });
      const following = statements.filter((s) => s.includes('from message.outgoing_webhooks'));
      expect(following, 'one read of the webhooks for four messages').to.have.length(1);

      // A redelivery of the same batch finds the bot's delivery settled: nothing is posted again.
      const again = await deliveries.handleBatch(created);
      expect(again).to.deep.equal(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
      expect(received).to.have.length(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  it('does not let a slow receiver hold the batch: its message is answered RETRY and its post goes on, never twice', async () => {
    const api = platform.api;
    const owner = await registerUser(api);
    const makeBot = async (name: string) => {
      const bot = await api.ok<{ botId: string }>('POST', '/api/v1/bots', {
        token: owner.accessToken,
        body: { name },
      });
      await api.ok('POST', '/api/v1/friends/requests', {
        token: owner.accessToken,
        body: { userId: bot.botId, source: 'search' },
      });
      return bot.botId;
    };
    const slowBot = await makeBot('slow-echo');
    const fastBot = await makeBot('fast-echo');
    const created = await createdEvents(owner.userId, async () => {
      for (const botId of [slowBot, fastBot])
        await api.ok('POST', '/api/v1/messages', {
          token: owner.accessToken,
          body: {
            clientMsgId: clientMsgId(),
            sessionType: 'single',
            targetId: botId,
            contentType: 'text',
            content: 'hi',
          },
        });
    });
    const [toSlow, toFast] = [slowBot, fastBot].map((botId) => created.find((c) => c.targetId === botId)!);

    // The slow receiver holds every request until the test lets it answer.
    const posts = { slow: 0, fast: 0 };
    const held: http.ServerResponse[] = [];
    const server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url === '/slow') {
          posts.slow++;
          held.push(response);
        } else {
          posts.fast++;
          response.writeHead(204).end();
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const [botId, path] of [
        [slowBot, '/slow'],
        [fastBot, '/fast'],
      ] as const)
        await api.ok('POST', `/api/v1/messages/bots/${botId}/outgoing-webhooks`, {
          token: owner.accessToken,
          body: { url: base + path },
        });
      const sql = sqlExecutor(orm);
      const deliveries = await deliveriesOver(sql, 20_000);

      // Were the batch to wait for the slow receiver, these would wait for the test: it never answers here.
      expect(await deliveries.handleBatch([toSlow!, toFast!])).to.deep.equal(['RETRY', 'SUCCESS']);
      expect(posts).to.deep.equal({ slow: 1, fast: 1 });
      // The redelivery joins the post under way.
      expect(await deliveries.handleBatch([toSlow!])).to.deep.equal(['RETRY']);
      expect(posts.slow).to.equal(1);

      for (const response of held.splice(0)) response.writeHead(204).end();
      await eventually('the slow delivery is recorded', async () => {
        const [answer] = await deliveries.handleBatch([toSlow!]);
        return answer === 'SUCCESS';
      });
      expect(posts).to.deep.equal({ slow: 1, fast: 1 });
    } finally {
      for (const response of held) response.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
