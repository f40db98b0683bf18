import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { AuthAdminService } from '../../services/platform/contracts/gen/anychat/auth/v1/auth_pb.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';

/** The hash a client makes of a number, as the route's documentation says (not the server's code). */
const contactHash = (number: string) =>
  createHash('sha256')
    .update(`anychat-contacts-v1:${number.replace(/\D/g, '')}`)
    .digest('hex');

let phoneCounter = 0;
const uniquePhone = () =>
  `+86139${String(Date.now() % 1e5).padStart(5, '0')}${String(phoneCounter++ % 1000).padStart(3, '0')}`;

interface Match {
  userId: string;
  nickname: string;
  phoneHash: string;
  isFriend: boolean;
}

forEachBackend('finding friends: phone book and recommendations', (platform) => {
  const api = () => platform().api;
  const match = async (token: string, numbers: string[]) =>
    (
      await api().ok<{ matches: Match[] }>('POST', '/api/v1/friends/contacts', {
        token,
        body: { phoneHashes: numbers.map(contactHash) },
      })
    ).matches;

  it('matches hashed numbers to users as their privacy allows, never a blocker or a deleted account', async () => {
    const numbers = [uniquePhone(), uniquePhone(), uniquePhone(), uniquePhone(), uniquePhone()];
    const me = await registerUser(api(), { phoneNumber: numbers[0] });
    const open = await registerUser(api(), { phoneNumber: numbers[1], nickname: 'Open' });
    const friendsOnly = await registerUser(api(), { phoneNumber: numbers[2] });
    const blocker = await registerUser(api(), { phoneNumber: numbers[3] });
    const hidden = await registerUser(api(), { phoneNumber: numbers[4] });
    await api().ok('PUT', '/api/v1/users/settings/privacy', {
      token: friendsOnly.accessToken,
      body: { findByPhone: 'friends' },
    });
    await api().ok('PUT', '/api/v1/users/settings/privacy', {
      token: hidden.accessToken,
      body: { findByPhone: 'nobody' },
    });
    await api().ok('POST', '/api/v1/friends/blacklist', {
      token: blocker.accessToken,
      body: { userId: me.userId },
    });
    const unknown = '+8613000000001';

    const found = await match(me.accessToken, [...numbers, unknown]);
    expect(found.map((m) => m.userId)).to.have.members([open.userId]);
    expect(found[0]).to.include({ nickname: 'Open', phoneHash: contactHash(numbers[1]!), isFriend: false });

    // The national form of a number (no country code) hashes differently: a client sends both.
    expect(await match(me.accessToken, [numbers[1]!.slice(3)])).to.deep.equal([]);

    await befriend(api(), me, friendsOnly);
    const asFriend = await match(me.accessToken, numbers);
    expect(asFriend.map((m) => m.userId)).to.have.members([open.userId, friendsOnly.userId]);
    expect(asFriend.find((m) => m.userId === friendsOnly.userId)?.isFriend).to.equal(true);

    await platform().invoker.call(AuthAdminService.method.deleteAccount, { userId: open.userId });
    await platform().bus.idle();
    expect((await match(me.accessToken, numbers)).map((m) => m.userId)).to.not.include(open.userId);
  });

  it('refuses malformed hashes, too many, and callers without a token', async () => {
    const user = await registerUser(api());
    const cases: unknown[] = [
      {},
      { phoneHashes: [] },
      { phoneHashes: ['13800138000'] },
      { phoneHashes: [contactHash('1').toUpperCase()] },
      { phoneHashes: Array.from({ length: 501 }, (_, i) => contactHash(String(i))) },
    ];
    for (const body of cases) {
      const response = await api().call('POST', '/api/v1/friends/contacts', {
        token: user.accessToken,
        body,
      });
      expect(response.status).to.equal(400);
      expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
    }
    expect(
      (await api().call('POST', '/api/v1/friends/contacts', { body: { phoneHashes: [] } })).status,
    ).to.equal(401);
    expect((await api().call('GET', '/api/v1/friends/recommendations')).status).to.equal(401);
  });

  it('recommends friends of friends, most in common first, without friends, blockers or those who take no requests', async () => {
    const me = await registerUser(api());
    const [f1, f2] = [await registerUser(api()), await registerUser(api())];
    const [two, one, blocked, closed, already] = [
      await registerUser(api()),
      await registerUser(api()),
      await registerUser(api()),
      await registerUser(api()),
      await registerUser(api()),
    ];
    await befriend(api(), me, f1);
    await befriend(api(), me, f2);
    await befriend(api(), me, already);
    for (const friend of [f1, f2]) {
      await befriend(api(), two, friend);
      await befriend(api(), blocked, friend);
      await befriend(api(), closed, friend);
      await befriend(api(), already, friend);
    }
    await befriend(api(), one, f1);
    await api().ok('POST', '/api/v1/friends/blacklist', {
      token: me.accessToken,
      body: { userId: blocked.userId },
    });
    await api().ok('PUT', '/api/v1/users/settings/privacy', {
      token: closed.accessToken,
      body: { addMe: 'nobody' },
    });

    const { users } = await api().ok<{ users: Array<{ userId: string; mutualFriends: number }> }>(
      'GET',
      '/api/v1/friends/recommendations',
      { token: me.accessToken },
    );
    expect(users.map((u) => [u.userId, u.mutualFriends])).to.deep.equal([
      [two.userId, 2],
      [one.userId, 1],
    ]);
    const limited = await api().ok<{ users: unknown[] }>('GET', '/api/v1/friends/recommendations?limit=1', {
      token: me.accessToken,
    });
    expect(limited.users).to.have.length(1);
    const bad = await api().call('GET', '/api/v1/friends/recommendations?limit=0', { token: me.accessToken });
    expect(bad.body.code).to.equal(ErrorCode.INVALID_PARAMS);
  });
  it('recommends people in common groups, more groups first, with the reasons, never a blocked one', async () => {
    const me = await registerUser(api());
    const organizer = await registerUser(api());
    const [two, one, blocked, filler] = [
      await registerUser(api()),
      await registerUser(api()),
      await registerUser(api()),
      await registerUser(api()),
    ];
    // The organizer befriends the others, not me: I join by invitation, so none is a friend of a friend.
    for (const user of [two, one, blocked, filler]) await befriend(api(), organizer, user);
    const group = async (members: Array<{ userId: string }>) => {
      const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: organizer.accessToken,
        body: { name: 'Club', memberIds: members.map((m) => m.userId) },
      });
      const added = await api().ok<{ invitedIds: string[] }>('POST', `/api/v1/groups/${groupId}/members`, {
        token: organizer.accessToken,
        body: { userIds: [me.userId] },
      });
      expect(added.invitedIds).to.deep.equal([me.userId]);
      await api().ok('PUT', `/api/v1/groups/${groupId}/invitation`, {
        token: me.accessToken,
        body: { action: 'accept' },
      });
    };
    await group([two, one, blocked]);
    // A group needs two members besides its owner.
    await group([two, filler]);
    await api().ok('POST', '/api/v1/friends/blacklist', {
      token: me.accessToken,
      body: { userId: blocked.userId },
    });

    type Recommended = { userId: string; mutualFriends: number; commonGroups: number; reasons: string[] };
    const { users } = await api().ok<{ users: Recommended[] }>('GET', '/api/v1/friends/recommendations', {
      token: me.accessToken,
    });
    // Ties go to the smaller (older) id: the organizer registered before `two`.
    expect(users.map((u) => [u.userId, u.commonGroups, u.mutualFriends, u.reasons])).to.deep.equal([
      [organizer.userId, 2, 0, ['2 common groups']],
      [two.userId, 2, 0, ['2 common groups']],
      [one.userId, 1, 0, ['1 common group']],
      [filler.userId, 1, 0, ['1 common group']],
    ]);

    // Whoever takes requests only from friends of friends is not offered for groups alone.
    await api().ok('PUT', '/api/v1/users/settings/privacy', {
      token: two.accessToken,
      body: { addMe: 'friends_of_friends' },
    });
    const after = await api().ok<{ users: Recommended[] }>('GET', '/api/v1/friends/recommendations', {
      token: me.accessToken,
    });
    expect(after.users.map((u) => u.userId)).to.deep.equal([organizer.userId, one.userId, filler.userId]);
  });
});

forEachBackend(
  'phone book uploads are rate-limited',
  (platform) => {
    it('answers 000009 after 5 uploads in 10 minutes', async () => {
      const user = await registerUser(platform().api);
      const body = { phoneHashes: [contactHash('+8613800000000')] };
      for (let i = 0; i < 5; i++)
        await platform().api.ok('POST', '/api/v1/friends/contacts', { token: user.accessToken, body });
      const limited = await platform().api.call('POST', '/api/v1/friends/contacts', {
        token: user.accessToken,
        body,
      });
      expect(limited.status).to.equal(429);
      expect(limited.body.code).to.equal(ErrorCode.TOO_MANY_REQUESTS);
    });
  },
  { RATE_LIMIT_FACTOR: '1' },
);
