import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { verifyDelivery } from '../../services/message/webhooks/index.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend, befriendAll, sleep, type User } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId } from '../support/ws-client.ts';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A loopback receiver the test starts; with `failOnce`, it answers 500 to each delivery's first attempt. */
async function receiver(options: { failOnce?: boolean; delayMs?: number } = {}) {
  const received: Received[] = [];
  const seen = new Set<string>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const delivery = String(request.headers['x-anychat-delivery']);
      const answered = options.failOnce && !seen.has(delivery) ? 500 : 204;
      seen.add(delivery);
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString(), answered });
      setTimeout(() => response.writeHead(answered).end(), options.delayMs ?? 0);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    delivered: () => received.filter((r) => r.answered === 204),
    async waitFor(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.filter((r) => r.answered === 204).length < count) {
        if (Date.now() > deadline)
          throw new Error(`expected ${count} deliveries, got ${received.length} requests`);
        await sleep(20);
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const text = (targetId: string, content: string, sessionType = 'group') => ({
  clientMsgId: clientMsgId(),
  sessionType,
  targetId,
  contentType: 'text',
  content,
});

forEachBackend(
  'outgoing webhooks (private addresses allowed for the loopback receiver)',
  (platform) => {
    const api = () => platform().api;

    async function team() {
      const [owner, member] = await Promise.all([registerUser(api()), registerUser(api())]);
      const third = await registerUser(api());
      await befriendAll(api(), owner!, [member!, third]);
      const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: owner!.accessToken,
        body: { name: 'hooks out', memberIds: [member!.userId, third.userId] },
      });
      return { owner: owner!, member: member!, groupId };
    }
    const register = (user: User, base: string, url: string) =>
      api().call<{ webhookId: string; secret: string; url: string }>('POST', `${base}/outgoing-webhooks`, {
        token: user.accessToken,
        body: { url },
      });

    it('posts each new group message, signed, and retries after the receiver fails once', async () => {
      const { owner, member, groupId } = await team();
      const hook = await receiver({ failOnce: true });
      try {
        const made = await register(owner, `/api/v1/messages/groups/${groupId}`, hook.url);
        expect(made.body.code, JSON.stringify(made.body)).to.equal(0);
        const { webhookId, secret } = made.body.data;
        expect(secret).to.match(/^whsec_[A-Za-z0-9_-]{43}$/);

        const sent = await api().ok<{ messageId: string }>('POST', '/api/v1/messages', {
          token: member.accessToken,
          body: text(groupId, '部署完成 ✅'),
        });
        const deliveryId = `${webhookId}.${sent.messageId}`;
        const attempts = () => hook.received.filter((r) => r.headers['x-anychat-delivery'] === deliveryId);
        for (const deadline = Date.now() + 10_000; attempts().length < 2 && Date.now() < deadline; )
          await sleep(20);
        const [failed, delivered] = attempts();
        expect(failed!.answered, 'the first attempt failed').to.equal(500);
        expect(delivered!.answered, 'the retry was taken').to.equal(204);
        const signed = {
          signature: String(delivered!.headers['x-anychat-signature']),
          timestamp: String(delivered!.headers['x-anychat-timestamp']),
        };
        expect(verifyDelivery(secret, signed, delivered!.body), 'signed with the secret').to.equal(true);
        expect(verifyDelivery(secret, signed, `${delivered!.body} `), 'over the exact body').to.equal(false);
        expect(verifyDelivery(`${secret}x`, signed, delivered!.body)).to.equal(false);
        const payload = JSON.parse(delivered!.body);
        expect(payload).to.include({ event: 'message.created', webhookId, groupId });
        expect(payload.message).to.include({
          messageId: sent.messageId,
          sessionId: `g_${groupId}`,
          senderId: member.userId,
          contentType: 'text',
          content: '部署完成 ✅',
        });
        await sleep(300);
        expect(attempts(), 'delivered once').to.have.length(2);

        const listed = await api().ok<{ webhooks: unknown[] }>(
          'GET',
          `/api/v1/messages/groups/${groupId}/outgoing-webhooks`,
          { token: owner.accessToken },
        );
        expect(JSON.stringify(listed)).to.include(webhookId).and.not.include(secret);
        await api().ok('DELETE', `/api/v1/messages/groups/${groupId}/outgoing-webhooks/${webhookId}`, {
          token: owner.accessToken,
        });
        await api().ok('POST', '/api/v1/messages', {
          token: member.accessToken,
          body: text(groupId, 'after'),
        });
        await sleep(500);
        expect(
          hook.received.filter((r) => r.body.includes('"after"')),
          'nothing after its deletion',
        ).to.have.length(0);
      } finally {
        await hook.close();
      }
    });

    it('never holds up a send, whatever the receiver does', async () => {
      const { owner, member, groupId } = await team();
      const slow = await receiver({ delayMs: 3000 });
      try {
        await register(owner, `/api/v1/messages/groups/${groupId}`, slow.url);
        const started = Date.now();
        await api().ok('POST', '/api/v1/messages', {
          token: member.accessToken,
          body: text(groupId, 'quick'),
        });
        expect(Date.now() - started).to.be.below(1500);
        await slow.waitFor(1);
      } finally {
        await slow.close();
      }
    });

    it("delivers a bot's one-to-one messages to its owner's webhook; only the owner registers it", async () => {
      const owner = await registerUser(api());
      const bot = await api().ok<{ botId: string }>('POST', '/api/v1/bots', {
        token: owner.accessToken,
        body: { name: 'echo' },
      });
      await api().ok('POST', '/api/v1/friends/requests', {
        token: owner.accessToken,
        body: { userId: bot.botId, source: 'search' },
      });
      const hook = await receiver();
      try {
        const made = await register(owner, `/api/v1/messages/bots/${bot.botId}`, hook.url);
        expect(made.body.code).to.equal(0);
        const stranger = await registerUser(api());
        const notTheirs = await register(stranger, `/api/v1/messages/bots/${bot.botId}`, hook.url);
        expect(notTheirs.body.code).to.equal(ErrorCode.NOT_FOUND);
        const sent = await api().ok<{ messageId: string }>('POST', '/api/v1/messages', {
          token: owner.accessToken,
          body: text(bot.botId, '/weather 上海', 'single'),
        });
        await hook.waitFor(1);
        const payload = JSON.parse(hook.delivered()[0]!.body);
        expect(payload).to.include({ botId: bot.botId });
        expect(payload.message).to.include({ messageId: sent.messageId, senderId: owner.userId });
        const { secret } = made.body.data;
        const headers = hook.delivered()[0]!.headers;
        expect(
          verifyDelivery(
            secret,
            {
              signature: String(headers['x-anychat-signature']),
              timestamp: String(headers['x-anychat-timestamp']),
            },
            hook.delivered()[0]!.body,
          ),
        ).to.equal(true);
      } finally {
        await hook.close();
      }
    });

    it('refuses members who are not admins and URLs that are not http(s)', async () => {
      const { member, groupId } = await team();
      const base = `/api/v1/messages/groups/${groupId}`;
      expect((await register(member, base, 'http://127.0.0.1:9/x')).body.code).to.equal(
        ErrorCode.GROUP_NOT_ADMIN,
      );
      const outsider = await registerUser(api());
      expect((await register(outsider, base, 'http://127.0.0.1:9/x')).body.code).to.equal(
        ErrorCode.GROUP_NOT_MEMBER,
      );
      const { owner } = await team();
      await befriend(api(), owner, member);
      expect((await register(owner, base, 'ftp://127.0.0.1/x')).body.code).to.equal(ErrorCode.INVALID_PARAMS);
    });
  },
  { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' },
);

forEachBackend('outgoing webhooks (default address policy)', (platform) => {
  const api = () => platform().api;

  it('refuses loopback, private and link-local targets unless the setting allows them', async () => {
    const [owner, a, b] = await Promise.all([registerUser(api()), registerUser(api()), registerUser(api())]);
    await befriendAll(api(), owner!, [a!, b!]);
    const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: owner!.accessToken,
      body: { name: 'ssrf', memberIds: [a!.userId, b!.userId] },
    });
    const hook = await receiver();
    try {
      for (const url of [
        hook.url,
        'http://localhost:8080/x',
        'http://10.1.2.3/x',
        'http://192.168.0.1/x',
        'http://169.254.169.254/latest/meta-data',
        'http://[::1]:8080/x',
        'http://[::ffff:127.0.0.1]/x',
        'http://0.0.0.0/x',
        'http://user:pw@example.com/x',
      ]) {
        const refused = await api().call('POST', `/api/v1/messages/groups/${groupId}/outgoing-webhooks`, {
          token: owner!.accessToken,
          body: { url },
        });
        expect([refused.status, refused.body.code], url).to.deep.equal([400, ErrorCode.WEBHOOK_URL_REFUSED]);
      }
      expect(hook.received).to.have.length(0);
    } finally {
      await hook.close();
    }
  });
});
