import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriendAll, type User } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { WsClient } from '../support/ws-client.ts';

interface Made {
  webhookId: string;
  name: string;
  path: string;
}

forEachBackend('incoming group webhooks', (platform) => {
  const api = () => platform().api;

  async function team() {
    const [owner, admin, member] = await Promise.all(Array.from({ length: 3 }, () => registerUser(api())));
    await befriendAll(api(), owner!, [admin!, member!]);
    const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: owner!.accessToken,
      body: { name: 'hooks', memberIds: [admin!.userId, member!.userId] },
    });
    await api().ok('POST', `/api/v1/groups/${groupId}/admins`, {
      token: owner!.accessToken,
      body: { userId: admin!.userId },
    });
    return { owner: owner!, admin: admin!, member: member!, groupId };
  }
  const make = (user: User, groupId: string, name = 'CI 机器人') =>
    api().call<Made>('POST', `/api/v1/messages/groups/${groupId}/webhooks`, {
      token: user.accessToken,
      body: { name },
    });
  const post = (path: string, body: unknown) =>
    api().call<{ messageId: string; seq: number }>('POST', path, { body });

  it('posts into the group through its secret URL, live and in history, once per idempotency key', async () => {
    const { owner, member, groupId } = await team();
    const made = await make(owner, groupId);
    expect(made.body.code).to.equal(0);
    const { path, webhookId } = made.body.data;
    expect(path).to.match(new RegExp(`^/api/v1/messages/hooks/${webhookId}/[A-Za-z0-9_-]{43}$`));
    const ws = await WsClient.connect(platform().host.url, member.accessToken);
    try {
      const first = await post(path, { text: '构建 #42 通过 ✅', idempotencyKey: 'build-42' });
      expect(first.status).to.equal(200);
      const [live] = await ws.waitForMessages(1, (f) => f.data.messageId === first.body.data.messageId);
      expect(live!.data.contentType).to.equal('system');
      expect(live!.data.content).to.deep.include({ kind: 'webhook.message', text: '构建 #42 通过 ✅' });
      expect((live!.data.content as { data: unknown }).data).to.deep.equal({ webhookId, name: 'CI 机器人' });
      const again = await post(path, { text: '构建 #42 通过 ✅', idempotencyKey: 'build-42' });
      expect(again.body.data.messageId, 'a retry is stored once').to.equal(first.body.data.messageId);
      const history = await api().ok<{ messages: Array<{ messageId: string }> }>(
        'GET',
        `/api/v1/messages/history?sessionId=g_${groupId}`,
        { token: member.accessToken },
      );
      expect(history.messages.filter((m) => m.messageId === first.body.data.messageId)).to.have.length(1);
      const listed = await api().ok<{ webhooks: Array<Record<string, unknown>> }>(
        'GET',
        `/api/v1/messages/groups/${groupId}/webhooks`,
        { token: owner.accessToken },
      );
      expect(listed.webhooks.map((w) => w.webhookId)).to.deep.equal([webhookId]);
      expect(JSON.stringify(listed), 'the secret is shown once').to.not.include(path.split('/').pop()!);
      expect(listed.webhooks[0]!.lastUsedAt).to.be.a('number');
    } finally {
      await ws.close();
    }
  });

  it('refuses wrong secrets, deleted webhooks, members who are not admins, and bad input', async () => {
    const { owner, admin, member, groupId } = await team();
    const { path, webhookId } = (await make(owner, groupId)).body.data;
    const secret = path.split('/').pop()!;
    const wrong = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    const refused = await post(`/api/v1/messages/hooks/${webhookId}/${wrong}`, { text: 'x' });
    expect([refused.status, refused.body.code]).to.deep.equal([401, ErrorCode.UNAUTHENTICATED]);
    const unknown = await post(`/api/v1/messages/hooks/1${webhookId}/${secret}`, { text: 'x' });
    expect(unknown.status, 'an unknown webhook looks the same').to.equal(401);
    expect((await post(path, { text: '   ' })).body.code).to.equal(ErrorCode.INVALID_PARAMS);
    expect((await post(path, { text: 'x'.repeat(1001) })).body.code).to.equal(ErrorCode.INVALID_PARAMS);
    expect((await post(path, {})).body.code).to.equal(ErrorCode.INVALID_PARAMS);

    expect((await make(member, groupId)).body.code, 'plain member').to.equal(ErrorCode.GROUP_NOT_ADMIN);
    const outsider = await registerUser(api());
    expect((await make(outsider, groupId)).body.code).to.equal(ErrorCode.GROUP_NOT_MEMBER);
    const list = await api().call('GET', `/api/v1/messages/groups/${groupId}/webhooks`, {
      token: member.accessToken,
    });
    expect(list.body.code).to.equal(ErrorCode.GROUP_NOT_ADMIN);
    const notTheirs = await api().call('DELETE', `/api/v1/messages/groups/${groupId}/webhooks/${webhookId}`, {
      token: member.accessToken,
    });
    expect(notTheirs.body.code).to.equal(ErrorCode.GROUP_NOT_ADMIN);
    expect(
      (await api().call('POST', `/api/v1/messages/groups/${groupId}/webhooks`, { body: { name: 'x' } }))
        .status,
    ).to.equal(401);

    // An admin's webhook stops when they stop being admin.
    const adminHook = (await make(admin, groupId, 'deploy')).body.data;
    expect((await post(adminHook.path, { text: 'deployed' })).status).to.equal(200);
    await api().ok('DELETE', `/api/v1/groups/${groupId}/admins/${admin.userId}`, {
      token: owner.accessToken,
    });
    const demoted = await post(adminHook.path, { text: 'deployed again' });
    expect([demoted.status, demoted.body.code]).to.deep.equal([403, ErrorCode.FORBIDDEN]);

    await api().ok('DELETE', `/api/v1/messages/groups/${groupId}/webhooks/${webhookId}`, {
      token: owner.accessToken,
    });
    expect((await post(path, { text: 'after delete' })).status).to.equal(401);
    const twice = await api().call('DELETE', `/api/v1/messages/groups/${groupId}/webhooks/${webhookId}`, {
      token: owner.accessToken,
    });
    expect(twice.body.code).to.equal(ErrorCode.NOT_FOUND);
  });
});
