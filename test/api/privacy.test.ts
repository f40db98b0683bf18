import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser, uniqueAccount } from '../support/api-client.ts';
import { befriend, loginDevice } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { WsClient } from '../support/ws-client.ts';

interface Privacy {
  findByPhone: string;
  findByEmail: string;
  findByAccount: string;
  addMe: string;
  presence: string;
  readReceipts: boolean;
}

/** A phone number nobody else in this run has (digits only, valid for registration). */
const uniquePhone = () =>
  `1${Date.now().toString().slice(-8)}${Math.floor(Math.random() * 100)}`.padEnd(11, '0');

forEachBackend('privacy settings', (platform) => {
  const api = () => platform().api;
  const setPrivacy = (token: string, body: Partial<Privacy>) =>
    api().ok<Privacy>('PUT', '/api/v1/users/settings/privacy', { token, body });
  const search = async (token: string, keyword: string) =>
    (
      await api().ok<{ total: number; users: Array<{ userId: string }> }>(
        'GET',
        `/api/v1/users/search?keyword=${encodeURIComponent(keyword)}`,
        { token },
      )
    ).users.map((user) => user.userId);

  it('starts open, changes field by field, refuses bad values, and reaches my other devices', async () => {
    const user = await registerUser(api());
    const defaults = await api().ok<Privacy>('GET', '/api/v1/users/settings/privacy', {
      token: user.accessToken,
    });
    expect(defaults).to.deep.equal({
      findByPhone: 'everyone',
      findByEmail: 'everyone',
      findByAccount: 'everyone',
      addMe: 'everyone',
      presence: 'everyone',
      readReceipts: true,
    });
    const other = await loginDevice(api(), user, 'iOS', `ios-${user.account}`);
    const ws = await WsClient.connect(platform().host.url, other.accessToken);
    try {
      const changed = await setPrivacy(user.accessToken, { findByPhone: 'friends', readReceipts: false });
      expect(changed).to.include({ findByPhone: 'friends', readReceipts: false, findByEmail: 'everyone' });
      const frame = await ws.next((f) => f.type === 'NOTIFICATION' && f.data.kind === 'user.privacy_updated');
      expect(frame.data.payload).to.include({ findByPhone: 'friends', readReceipts: false });
      expect(
        await api().ok<Privacy>('GET', '/api/v1/users/settings/privacy', { token: other.accessToken }),
      ).to.deep.equal(changed);
    } finally {
      ws.close();
    }
    for (const body of [{}, { addMe: 'friends' }, { presence: 'all' }, { readReceipts: 'no' }]) {
      const refused = await api().call('PUT', '/api/v1/users/settings/privacy', {
        token: user.accessToken,
        body,
      });
      expect(refused.status, JSON.stringify(body)).to.equal(400);
      expect(refused.body.code).to.equal(ErrorCode.INVALID_PARAMS);
    }
    const anonymous = await api().call('GET', '/api/v1/users/settings/privacy');
    expect(anonymous.status).to.equal(401);
  });

  it('search finds me by account, phone or e-mail only as my settings allow; nicknames still match', async () => {
    const phoneNumber = uniquePhone();
    const email = `${uniqueAccount('m')}@example.com`;
    const nickname = uniqueAccount('Nick');
    const me = await registerUser(api(), { phoneNumber, email, nickname });
    const friend = await registerUser(api());
    const stranger = await registerUser(api());
    await befriend(api(), friend, me);

    expect(await search(stranger.accessToken, phoneNumber)).to.deep.equal([me.userId]);
    await setPrivacy(me.accessToken, {
      findByPhone: 'friends',
      findByEmail: 'nobody',
      findByAccount: 'friends',
    });
    expect(await search(stranger.accessToken, phoneNumber)).to.deep.equal([]);
    expect(await search(friend.accessToken, phoneNumber)).to.deep.equal([me.userId]);
    expect(await search(friend.accessToken, email)).to.deep.equal([]);
    expect(await search(stranger.accessToken, me.account)).to.deep.equal([]);
    expect(await search(friend.accessToken, me.account)).to.deep.equal([me.userId]);
    expect(await search(me.accessToken, email), 'I always find myself').to.deep.equal([me.userId]);
    expect(await search(stranger.accessToken, nickname)).to.deep.equal([me.userId]);
  });

  it('friend requests follow addMe: nobody, friends of friends, everyone', async () => {
    const target = await registerUser(api());
    const mutual = await registerUser(api());
    const friendOfFriend = await registerUser(api());
    const stranger = await registerUser(api());
    await befriend(api(), mutual, target);
    await befriend(api(), friendOfFriend, mutual);
    const ask = (from: { accessToken: string }) =>
      api().call('POST', '/api/v1/friends/requests', {
        token: from.accessToken,
        body: { userId: target.userId, source: 'search' },
      });

    await setPrivacy(target.accessToken, { addMe: 'nobody' });
    const refused = await ask(friendOfFriend);
    expect(refused.status).to.equal(403);
    expect(refused.body.code).to.equal(ErrorCode.FRIEND_REQUEST_NOT_ALLOWED);

    await setPrivacy(target.accessToken, { addMe: 'friends_of_friends' });
    expect((await ask(stranger)).body.code).to.equal(ErrorCode.FRIEND_REQUEST_NOT_ALLOWED);
    expect((await ask(friendOfFriend)).body.code).to.equal(0);

    await setPrivacy(target.accessToken, { addMe: 'everyone' });
    expect((await ask(stranger)).body.code).to.equal(0);
  });

  it('online status and last seen: hidden from non-friends (friends) or everyone (nobody), presence frames too', async () => {
    const me = await registerUser(api());
    const friend = await registerUser(api());
    const stranger = await registerUser(api());
    await befriend(api(), friend, me);
    const friendWs = await WsClient.connect(platform().host.url, friend.accessToken);
    const sockets = [friendWs];
    try {
      const detail = (viewer: { accessToken: string }) =>
        api().ok<{ online: boolean; lastActiveTime: string | null }>('GET', `/api/v1/users/${me.userId}`, {
          token: viewer.accessToken,
        });
      const listed = async () =>
        (
          await api().ok<{
            friends: Array<{ userId: string; online: boolean; lastActiveTime: string | null }>;
          }>('GET', '/api/v1/friends', { token: friend.accessToken })
        ).friends.find((f) => f.userId === me.userId);

      await setPrivacy(me.accessToken, { presence: 'friends' });
      const from = friendWs.frames.length;
      sockets.push(await WsClient.connect(platform().host.url, me.accessToken));
      await friendWs.next((f) => f.type === 'USER_ONLINE' && f.data.userId === me.userId, 5000, from);
      expect(await detail(friend)).to.include({ online: true });
      expect(await detail(stranger)).to.include({ online: false, lastActiveTime: null });

      await setPrivacy(me.accessToken, { presence: 'nobody' });
      expect(await detail(friend)).to.include({ online: false, lastActiveTime: null });
      expect(await listed()).to.include({ online: false, lastActiveTime: null });
      const before = friendWs.frames.length;
      sockets.pop()?.close();
      sockets.push(await WsClient.connect(platform().host.url, me.accessToken));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(
        friendWs.frames
          .slice(before)
          .filter((f) => f.type.startsWith('USER_') && f.data.userId === me.userId),
      ).to.deep.equal([]);
      expect((await detail(me)).online, 'I see my own presence').to.equal(true);
    } finally {
      for (const ws of sockets) ws.close();
    }
  });
});
