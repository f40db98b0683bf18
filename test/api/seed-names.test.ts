import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriendAll } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId, WsClient } from '../support/ws-client.ts';

/** The seed API's request and answer shapes, served beside ours. */
forEachBackend("the seed API's paths and field names", (platform) => {
  const api = () => platform().api;

  it("the login answer's user carries nickname and avatar", async () => {
    const user = await registerUser(api(), { nickname: 'Seed Name' });
    await api().ok('PUT', '/api/v1/users/me', {
      token: user.accessToken,
      body: { avatar: 'https://cdn.example.com/seed.png' },
    });
    const login = await api().ok<{ user: Record<string, unknown> }>('POST', '/api/v1/auth/login', {
      body: { account: user.account, password: user.password, deviceType: 'Web', deviceId: 'web-seed' },
    });
    expect(login.user).to.include({
      userId: user.userId,
      nickname: 'Seed Name',
      avatar: 'https://cdn.example.com/seed.png',
    });
    const registered = await registerUser(api(), { nickname: 'New One' });
    const again = await api().ok<{ user: Record<string, unknown> }>('POST', '/api/v1/auth/login', {
      body: {
        account: registered.account,
        password: registered.password,
        deviceType: 'iOS',
        deviceId: 'ios-x',
      },
    });
    expect(again.user).to.include({ nickname: 'New One', avatar: null });
  });

  it('group invite takes memberIds, session pin takes pinned and mute takes muted (one name or the other)', async () => {
    const [owner, first, second, third] = await Promise.all([0, 1, 2, 3].map(() => registerUser(api())));
    await befriendAll(api(), owner!, [first!, second!, third!]);
    const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: owner!.accessToken,
      body: { name: 'seed', memberIds: [first!.userId, third!.userId] },
    });
    await api().ok('POST', `/api/v1/groups/${groupId}/members`, {
      token: owner!.accessToken,
      body: { memberIds: [second!.userId] },
    });
    const members = await api().ok<{ members: Array<{ userId: string }> }>(
      'GET',
      `/api/v1/groups/${groupId}/members`,
      { token: owner!.accessToken },
    );
    expect(members.members.map((m) => m.userId)).to.include(second!.userId);
    for (const body of [{}, { userIds: [first!.userId], memberIds: [first!.userId] }]) {
      const refused = await api().call('POST', `/api/v1/groups/${groupId}/members`, {
        token: owner!.accessToken,
        body,
      });
      expect(refused.body.code, JSON.stringify(body)).to.equal(ErrorCode.INVALID_PARAMS);
    }

    await platform().host.settled();
    const sessionId = `g_${groupId}`;
    const session = () =>
      api().ok<{ isPinned: boolean; isMuted: boolean }>('GET', `/api/v1/sessions/${sessionId}`, {
        token: first!.accessToken,
      });
    await api().ok('PUT', `/api/v1/sessions/${sessionId}/pin`, {
      token: first!.accessToken,
      body: { pinned: true },
    });
    await api().ok('PUT', `/api/v1/sessions/${sessionId}/mute`, {
      token: first!.accessToken,
      body: { muted: true },
    });
    expect(await session()).to.include({ isPinned: true, isMuted: true });
    await api().ok('PUT', `/api/v1/sessions/${sessionId}/pin`, {
      token: first!.accessToken,
      body: { isPinned: false },
    });
    expect(await session()).to.include({ isPinned: false, isMuted: true });
    const both = await api().call('PUT', `/api/v1/sessions/${sessionId}/mute`, {
      token: first!.accessToken,
      body: { isMuted: true, muted: false },
    });
    expect(both.body.code).to.equal(ErrorCode.INVALID_PARAMS);

    // The aliases are in the served OpenAPI document (served as it is, without the envelope).
    const text = JSON.stringify((await api().call('GET', '/api/v1/openapi.json')).body);
    for (const alias of ['alias of userIds', 'alias of isPinned', 'alias of isMuted'])
      expect(text.includes(alias), alias).to.equal(true);
  });

  it('group read receipts at /groups/{id}/messages/{msgId}/reads, for members only', async () => {
    const [owner, reader, other, outsider] = await Promise.all([0, 1, 2, 3].map(() => registerUser(api())));
    await befriendAll(api(), owner!, [reader!, other!]);
    const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: owner!.accessToken,
      body: { name: 'reads', memberIds: [reader!.userId, other!.userId] },
    });
    const ws = await WsClient.connect(platform().host.url, owner!.accessToken);
    try {
      const msgId = clientMsgId();
      ws.send({
        type: 'SEND_MESSAGE',
        msgId,
        data: { sessionType: 'group', targetId: groupId, contentType: 'text', content: 'seed path' },
      });
      const ack = await ws.next((f) => f.type === 'SEND_ACK' && f.msgId === msgId);
      const { messageId, sessionId } = ack.data;
      await api().ok('POST', '/api/v1/messages/ack', { token: reader!.accessToken, body: { sessionId } });
      const path = `/api/v1/groups/${groupId}/messages/${messageId}/reads`;
      const reads = await api().ok<{
        readCount: number;
        readMembers: Array<{ userId: string; nickname: string }>;
      }>('GET', path, { token: owner!.accessToken });
      expect(reads.readCount).to.equal(1);
      expect(reads.readMembers.map((m) => m.userId)).to.deep.equal([reader!.userId]);
      expect(reads).to.deep.equal(
        await api().ok('GET', `/api/v1/messages/${messageId}/reads?groupId=${groupId}`, {
          token: owner!.accessToken,
        }),
      );
      const refused = await api().call('GET', path, { token: outsider!.accessToken });
      expect(refused.status).to.equal(403);
      expect(refused.body.code).to.equal(ErrorCode.GROUP_NOT_MEMBER);
      const bad = await api().call('GET', `/api/v1/groups/${groupId}/messages/abc/reads`, {
        token: owner!.accessToken,
      });
      expect(bad.body.code).to.equal(ErrorCode.INVALID_PARAMS);
    } finally {
      await ws.close();
    }
  });
});
