import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { revokedSessionKey } from '../../services/platform/security/index.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend, sleep, type User } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId, WsClient } from '../support/ws-client.ts';

interface Bot {
  botId: string;
  ownerId: string;
  name: string;
  account: string;
  kind: string;
  acceptsFriendRequests: boolean;
}
interface Issued {
  tokenId: string;
  token: string;
  scopes: string[];
  expiresAt: number;
}

forEachBackend('bot accounts and scoped bot tokens', (platform) => {
  const api = () => platform().api;
  const makeBot = (owner: User, name = '天气机器人') =>
    api().ok<Bot>('POST', '/api/v1/bots', { token: owner.accessToken, body: { name } });
  const issue = (owner: User, botId: string, scopes: string[], expiresInSeconds?: number) =>
    api().ok<Issued>('POST', `/api/v1/bots/${botId}/tokens`, {
      token: owner.accessToken,
      body: { name: 'ci', scopes, ...(expiresInSeconds ? { expiresInSeconds } : {}) },
    });
  const ALL = ['messages:send', 'messages:read', 'groups:read'];

  /** An owner, a friend of theirs and the owner's bot, in a group the owner made with both. */
  async function botInGroup() {
    const [owner, member] = await Promise.all([registerUser(api()), registerUser(api())]);
    await befriend(api(), owner!, member!);
    const bot = await makeBot(owner!);
    // The owner may befriend their own bot (strangers may not, see below); a bot answers no request,
    // so the request is a friendship at once, and the owner adds it to a group like any friend.
    const asked = await api().ok<{ status: string }>('POST', '/api/v1/friends/requests', {
      token: owner!.accessToken,
      body: { userId: bot.botId, source: 'search' },
    });
    expect(asked.status).to.equal('accepted');
    const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: owner!.accessToken,
      body: { name: 'bots', memberIds: [member!.userId, bot.botId] },
    });
    return { owner: owner!, member: member!, bot, groupId };
  }

  it('makes a bot that shows as a bot, never signs in with a password, and is managed by its owner only', async () => {
    const owner = await registerUser(api());
    const bot = await makeBot(owner);
    expect(bot).to.include({
      ownerId: owner.userId,
      name: '天气机器人',
      kind: 'bot',
      acceptsFriendRequests: false,
    });
    expect(bot.account).to.equal(`bot-${bot.botId}`);
    const stranger = await registerUser(api());
    const profile = await api().ok<Record<string, unknown>>('GET', `/api/v1/users/${bot.botId}`, {
      token: stranger.accessToken,
    });
    expect(profile).to.include({ kind: 'bot', botOwnerId: owner.userId, nickname: '天气机器人' });
    const mine = await api().ok<Record<string, unknown>>('GET', '/api/v1/users/me', {
      token: owner.accessToken,
    });
    expect(mine).to.include({ kind: 'user', botOwnerId: null });

    const login = await api().call('POST', '/api/v1/auth/login', {
      body: { account: bot.account, password: 'whatever-1A', deviceType: 'Web', deviceId: 'bot-web' },
    });
    expect([login.status, login.body.code], 'no password opens a bot').to.deep.equal([
      401,
      ErrorCode.WRONG_PASSWORD,
    ]);

    // A stranger cannot see, change, issue tokens for, or delete someone else's bot: 11, as if none.
    for (const [method, path, body] of [
      ['GET', `/api/v1/bots/${bot.botId}`, undefined],
      ['PATCH', `/api/v1/bots/${bot.botId}`, { acceptsFriendRequests: true }],
      ['POST', `/api/v1/bots/${bot.botId}/tokens`, { name: 'x', scopes: ['messages:read'] }],
      ['GET', `/api/v1/bots/${bot.botId}/tokens`, undefined],
      ['DELETE', `/api/v1/bots/${bot.botId}`, undefined],
    ] as const) {
      const refused = await api().call(method, path, { token: stranger.accessToken, body });
      expect([refused.status, refused.body.code], `${method} ${path}`).to.deep.equal([
        404,
        ErrorCode.NOT_FOUND,
      ]);
    }
    const list = await api().ok<{ bots: Bot[] }>('GET', '/api/v1/bots', { token: stranger.accessToken });
    expect(list.bots).to.deep.equal([]);
    expect(
      (await api().ok<{ bots: Bot[] }>('GET', '/api/v1/bots', { token: owner.accessToken })).bots,
    ).to.have.length(1);

    // Strangers may not befriend it until the owner allows; then it is a friendship at once.
    const ask = () =>
      api().call<{ status: string }>('POST', '/api/v1/friends/requests', {
        token: stranger.accessToken,
        body: { userId: bot.botId, source: 'search' },
      });
    expect((await ask()).body.code).to.equal(ErrorCode.FRIEND_REQUEST_NOT_ALLOWED);
    await api().ok('PATCH', `/api/v1/bots/${bot.botId}`, {
      token: owner.accessToken,
      body: { acceptsFriendRequests: true },
    });
    const allowed = await ask();
    expect([allowed.body.code, allowed.body.data.status]).to.deep.equal([0, 'accepted']);
  });

  it('lets a bot token send and read group messages over HTTP and the WebSocket, within its scopes', async () => {
    const { owner, member, bot, groupId } = await botInGroup();
    const issued = await issue(owner, bot.botId, ALL);
    expect(issued.scopes).to.deep.equal([...ALL].sort());
    const listed = await api().ok<{ tokens: Array<Record<string, unknown>> }>(
      'GET',
      `/api/v1/bots/${bot.botId}/tokens`,
      {
        token: owner.accessToken,
      },
    );
    expect(listed.tokens.map((t) => t.tokenId)).to.deep.equal([issued.tokenId]);
    expect(JSON.stringify(listed), 'the token is shown once').to.not.include(issued.token);

    const memberWs = await WsClient.connect(platform().host.url, member.accessToken);
    const botWs = await WsClient.connect(platform().host.url, issued.token);
    try {
      // HTTP: send into the group; members get it live.
      const sent = await api().ok<{ messageId: string }>('POST', '/api/v1/messages', {
        token: issued.token,
        body: {
          clientMsgId: clientMsgId(),
          sessionType: 'group',
          targetId: groupId,
          contentType: 'text',
          content: '早上好',
        },
      });
      const [live] = await memberWs.waitForMessages(1, (f) => f.data.messageId === sent.messageId);
      expect(live!.data.senderId).to.equal(bot.botId);

      // WebSocket: the bot gets members' messages and sends its own.
      const fromMember = await api().ok<{ messageId: string }>('POST', '/api/v1/messages', {
        token: member.accessToken,
        body: {
          clientMsgId: clientMsgId(),
          sessionType: 'group',
          targetId: groupId,
          contentType: 'text',
          content: '@bot 天气',
        },
      });
      await botWs.waitForMessages(1, (f) => f.data.messageId === fromMember.messageId);
      const msgId = clientMsgId();
      botWs.send({
        type: 'SEND_MESSAGE',
        msgId,
        data: { sessionType: 'group', targetId: groupId, contentType: 'text', content: '晴，25°C' },
      });
      const ack = await botWs.next(
        (f) => (f.type === 'SEND_ACK' || f.type === 'ERROR') && f.msgId === msgId,
        10_000,
      );
      expect(ack.type, JSON.stringify(ack)).to.equal('SEND_ACK');
      await memberWs.waitForMessages(1, (f) => f.data.messageId === ack.data.messageId);

      // HTTP reads: history, the group and its members.
      const history = await api().ok<{ messages: Array<{ messageId: string }> }>(
        'GET',
        `/api/v1/messages/history?sessionId=g_${groupId}`,
        { token: issued.token },
      );
      expect(history.messages.map((m) => m.messageId)).to.include.members([
        sent.messageId,
        fromMember.messageId,
      ]);
      await api().ok('GET', `/api/v1/groups/${groupId}`, { token: issued.token });
      await api().ok('GET', `/api/v1/groups/${groupId}/members`, { token: issued.token });

      // Routes that name no scope are closed to every bot token.
      for (const [method, path] of [
        ['GET', '/api/v1/users/me'],
        ['GET', '/api/v1/friends'],
        ['POST', '/api/v1/bots'],
        ['POST', '/api/v1/auth/logout'],
      ] as const) {
        const refused = await api().call(method, path, {
          token: issued.token,
          ...(method === 'POST' ? { body: {} } : {}),
        });
        expect([refused.status, refused.body.code], `${method} ${path}`).to.deep.equal([
          403,
          ErrorCode.TOKEN_SCOPE_MISSING,
        ]);
      }
    } finally {
      await Promise.all([memberWs.close(), botWs.close()]);
    }
  });

  it("joins a group an admin who is not the bot's friend invites it to, through a groups:join token", async () => {
    const [owner, admin, third] = await Promise.all([
      registerUser(api()),
      registerUser(api()),
      registerUser(api()),
    ]);
    await befriend(api(), admin!, third!);
    await befriend(api(), admin!, owner!);
    const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: admin!.accessToken,
      body: { name: 'invite a bot', memberIds: [third!.userId, owner!.userId] },
    });
    const bot = await makeBot(owner!);
    // Not the bot's friend: the invitation rules make it an invitation, as for any user.
    const invited = await api().ok<{ successIds: string[]; invitedIds: string[] }>(
      'POST',
      `/api/v1/groups/${groupId}/members`,
      { token: admin!.accessToken, body: { userIds: [bot.botId] } },
    );
    expect(invited).to.deep.include({ successIds: [], invitedIds: [bot.botId] });
    const readOnly = await issue(owner!, bot.botId, ['messages:read']);
    const refused = await api().call('GET', '/api/v1/groups/invitations', { token: readOnly.token });
    expect(refused.body.code).to.equal(ErrorCode.TOKEN_SCOPE_MISSING);
    const joiner = await issue(owner!, bot.botId, ['groups:join', 'groups:read']);
    const mine = await api().ok<{ invitations: Array<{ groupId: string }> }>(
      'GET',
      '/api/v1/groups/invitations',
      {
        token: joiner.token,
      },
    );
    expect(mine.invitations.map((i) => i.groupId)).to.deep.equal([groupId]);
    const answered = await api().ok<{ status: string }>('PUT', `/api/v1/groups/${groupId}/invitation`, {
      token: joiner.token,
      body: { action: 'accept' },
    });
    expect(answered.status).to.equal('accepted');
    const members = await api().ok<{ members: Array<{ userId: string; kind: string }> }>(
      'GET',
      `/api/v1/groups/${groupId}/members`,
      { token: joiner.token },
    );
    expect(members.members.find((m) => m.userId === bot.botId)?.kind, 'members show bots as bots').to.equal(
      'bot',
    );
    expect(members.members.find((m) => m.userId === admin!.userId)?.kind).to.equal('user');
  });

  it('refuses what a token lacks the scope for, over HTTP and the WebSocket', async () => {
    const { owner, bot, groupId } = await botInGroup();
    const readOnly = await issue(owner, bot.botId, ['messages:read']);
    const send = await api().call('POST', '/api/v1/messages', {
      token: readOnly.token,
      body: {
        clientMsgId: clientMsgId(),
        sessionType: 'group',
        targetId: groupId,
        contentType: 'text',
        content: 'x',
      },
    });
    expect([send.status, send.body.code]).to.deep.equal([403, ErrorCode.TOKEN_SCOPE_MISSING]);
    expect(send.body.message).to.include('messages:send');
    const group = await api().call('GET', `/api/v1/groups/${groupId}`, { token: readOnly.token });
    expect(group.body.code).to.equal(ErrorCode.TOKEN_SCOPE_MISSING);

    const ws = await WsClient.connect(platform().host.url, readOnly.token);
    try {
      const msgId = clientMsgId();
      ws.send({
        type: 'SEND_MESSAGE',
        msgId,
        data: { sessionType: 'group', targetId: groupId, contentType: 'text', content: 'x' },
      });
      const error = await ws.next((f) => f.type === 'ERROR' && f.msgId === msgId, 10_000);
      expect(error.data.code).to.equal(ErrorCode.TOKEN_SCOPE_MISSING);
    } finally {
      await ws.close();
    }

    // The socket delivers every message: a token without messages:read cannot open one.
    const sendOnly = await issue(owner, bot.botId, ['messages:send']);
    const refused = WsClient.open(platform().host.url, sendOnly.token);
    const answer = await refused.next((f) => f.type === 'CONNECT_ERROR', 10_000);
    expect(answer.data).to.include({ status: 403, code: ErrorCode.TOKEN_SCOPE_MISSING });
    await refused.closed();

    const bad = await api().call('POST', `/api/v1/bots/${bot.botId}/tokens`, {
      token: owner.accessToken,
      body: { name: 'x', scopes: ['admin:everything'] },
    });
    expect(bad.body.code).to.equal(ErrorCode.INVALID_PARAMS);
  });

  it('refuses revoked and expired tokens, and every token of a deleted bot', async () => {
    const { owner, bot, groupId } = await botInGroup();
    const read = (token: string) =>
      api().call('GET', `/api/v1/messages/history?sessionId=g_${groupId}`, { token });
    const kept = await issue(owner, bot.botId, ALL);
    const revoked = await issue(owner, bot.botId, ALL);
    const ws = await WsClient.connect(platform().host.url, revoked.token);
    expect((await read(revoked.token)).status).to.equal(200);
    await api().ok('DELETE', `/api/v1/bots/${bot.botId}/tokens/${revoked.tokenId}`, {
      token: owner.accessToken,
    });
    const afterRevoke = await read(revoked.token);
    expect([afterRevoke.status, afterRevoke.body.code]).to.deep.equal([401, ErrorCode.TOKEN_INVALID]);
    expect(
      await Promise.race([ws.closed(), sleep(10_000).then(() => 'open')]),
      'its socket is closed',
    ).to.not.equal('open');
    expect((await read(kept.token)).status, 'other tokens still work').to.equal(200);

    const shortLived = await issue(owner, bot.botId, ALL, 1);
    await sleep(2100);
    const expired = await read(shortLived.token);
    expect([expired.status, expired.body.code]).to.deep.equal([401, ErrorCode.TOKEN_EXPIRED]);

    await api().ok('DELETE', `/api/v1/bots/${bot.botId}`, { token: owner.accessToken });
    const afterDelete = await read(kept.token);
    expect([afterDelete.status, afterDelete.body.code]).to.deep.equal([401, ErrorCode.TOKEN_INVALID]);
    const gone = await api().call('GET', `/api/v1/bots/${bot.botId}`, { token: owner.accessToken });
    expect(gone.body.code).to.equal(ErrorCode.NOT_FOUND);
    // Deleted as an account is: its profile becomes the deleted account's placeholder.
    for (const deadline = Date.now() + 10_000; ; await sleep(50)) {
      const profile = await api().ok<{ accountDeleted: boolean }>('GET', `/api/v1/users/${bot.botId}`, {
        token: owner.accessToken,
      });
      if (profile.accountDeleted) break;
      if (Date.now() > deadline) throw new Error('the bot profile was not erased');
    }
  });

  it('keeps a revoked token refused after the shared state store lost its revocation and the platform restarts', async () => {
    const { owner, bot, groupId } = await botInGroup();
    const token = await issue(owner, bot.botId, ALL);
    await api().ok('DELETE', `/api/v1/bots/${bot.botId}/tokens/${token.tokenId}`, {
      token: owner.accessToken,
    });
    const read = () =>
      api().call('GET', `/api/v1/messages/history?sessionId=g_${groupId}`, { token: token.token });
    expect((await read()).status).to.equal(401);
    // The store is what verifiers read: without the entry the token would pass again...
    await platform().host.sharedState.delete(revokedSessionKey(token.tokenId));
    expect((await read()).status, 'the state store is what verifiers read').to.equal(200);
    // ...so the auth service writes every standing revocation again when it starts, from its table.
    await platform().restart();
    for (const deadline = Date.now() + 10_000; ; await sleep(50)) {
      const again = await read();
      if (again.status === 401) {
        expect(again.body.code).to.equal(ErrorCode.TOKEN_INVALID);
        break;
      }
      if (Date.now() > deadline) throw new Error(`a revoked token works after a restart: ${again.status}`);
    }
  });
});
