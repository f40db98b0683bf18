import { expect } from 'chai';
import {
  AuthAdminService,
  AuthService,
} from '../../services/platform/contracts/gen/anychat/auth/v1/auth_pb.ts';
import type { ProfileUpdated } from '../../services/platform/contracts/gen/anychat/user/v1/events_pb.ts';
import { UserService } from '../../services/platform/contracts/gen/anychat/user/v1/user_pb.ts';
import { AccountStatusCodes, AuthTopics, UserTopics } from '../../services/platform/contracts/index.ts';
import { openServiceDatabase, sqlExecutor } from '../../services/platform/db/index.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { EventPublisher, eventSubscription } from '../../services/platform/events/index.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { registerUser, uniqueAccount } from '../support/api-client.ts';
import { befriend, type User } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { forEachBackend } from '../support/platform.ts';

interface Profile {
  userId: string;
  nickname: string;
  avatar: string | null;
  signature: string | null;
  gender: number;
  region: string | null;
  online?: boolean;
  isFriend?: boolean;
  accountDeleted?: boolean;
}

interface FriendList {
  friends: Array<{ userId: string; nickname: string; avatar: string | null; signature: string | null }>;
}

forEachBackend('deleted accounts in the user directory', (platform) => {
  const api = () => platform().api;
  const profileEvents: ProfileUpdated[] = [];
  let unsubscribe: (() => void) | undefined;

  before(() => {
    unsubscribe = platform().bus.subscribe(
      'test-observer',
      eventSubscription({
        pubsubName: platform().pubsubName,
        topic: UserTopics.profileUpdated,
        logger: createLogger('silent'),
        handle: async (event) => profileEvents.push(event),
      }),
    );
  });
  after(() => unsubscribe?.());

  const search = async (viewer: User, keyword: string) =>
    api().ok<{ total: number; users: Profile[] }>(
      'GET',
      `/api/v1/users/search?keyword=${encodeURIComponent(keyword)}`,
      { token: viewer.accessToken },
    );
  const found = async (viewer: User, keyword: string, userId: string) =>
    (await search(viewer, keyword)).users.some((user) => user.userId === userId);
  /** Runs one query on the user service's schema, as its own tables hold it. */
  const userSql = async <T>(sql: string, params: unknown[]): Promise<T[]> => {
    const orm = await openServiceDatabase({
      url: platform().host.databaseUrl,
      schema: 'user',
      entities: [],
      migrations: [],
      poolMax: 1,
      logger: createLogger('silent'),
    });
    try {
      return await sqlExecutor(orm).query<T>(sql, params);
    } finally {
      await orm.close();
    }
  };

  it('erases a deleted account from the directory, its friendships with it, and shows a placeholder in its place', async () => {
    const tag = uniqueAccount('gone');
    const phoneNumber = `+86137${String(Date.now()).slice(-8)}`;
    const email = `${tag}@example.com`;
    const alice = await registerUser(api(), { nickname: `${tag} Alice`, phoneNumber, email });
    const bob = await registerUser(api());
    await api().ok('PUT', '/api/v1/users/me', {
      token: alice.accessToken,
      body: {
        avatar: 'https://cdn.example.com/alice.png',
        signature: 'hello there',
        region: 'Hangzhou',
        birthday: '1990-01-02',
        gender: 2,
      },
    });
    await api().ok('POST', '/api/v1/users/push-token', {
      token: alice.accessToken,
      body: { pushToken: 'fcm:token-of-alice-device', platform: 'Android' },
    });
    await befriend(api(), bob, alice);
    const qrcode = await api().ok<{ code: string }>('POST', '/api/v1/users/qrcode/refresh', {
      token: alice.accessToken,
    });
    expect(await found(bob, alice.account, alice.userId)).to.equal(true);
    expect(await found(bob, phoneNumber, alice.userId)).to.equal(true);

    await platform().invoker.call(AuthAdminService.method.deleteAccount, { userId: alice.userId });

    // The friend service ends the friendship (test/api/account-deletion.test.ts follows the rest).
    await eventually('the friend list no longer lists the account', async () => {
      const list = await api().ok<FriendList>('GET', '/api/v1/friends', { token: bob.accessToken });
      return !list.friends.some((friend) => friend.userId === alice.userId);
    });

    const seen = await api().ok<Profile>('GET', `/api/v1/users/${alice.userId}`, { token: bob.accessToken });
    expect(seen).to.include({
      userId: alice.userId,
      nickname: 'Deleted account',
      avatar: null,
      signature: null,
      gender: 0,
      region: null,
      online: false,
      isFriend: false,
      accountDeleted: true,
    });
    for (const keyword of [alice.account, phoneNumber, email, tag, `${tag} Alice`, 'Deleted account']) {
      expect(await found(bob, keyword, alice.userId), keyword).to.equal(false);
    }
    const scanned = await api().call('GET', `/api/v1/users/qrcode/${qrcode.code}`, {
      token: bob.accessToken,
    });
    expect(scanned.status).to.equal(404);
    expect(scanned.body.code).to.equal(ErrorCode.QRCODE_INVALID);

    const announced = profileEvents.filter((event) => event.userId === alice.userId);
    expect(announced).to.have.length(2); // the profile edit, then the erasure
    expect(announced[1]!.changed).to.include.members(['nickname', 'avatar', 'signature', 'region']);
    expect(announced[1]!.profile).to.deep.include({ nickname: 'Deleted account' });
    expect(announced[1]!.profile?.avatar).to.equal(undefined);
    expect(announced[1]!.profile?.signature).to.equal(undefined);

    // A redelivered status change and a repeated deletion change nothing more.
    await new EventPublisher(platform().bus.port('auth'), platform().pubsubName).publish(
      AuthTopics.accountStatusChanged,
      { userId: alice.userId, status: AccountStatusCodes.DELETED },
    );
    await platform().invoker.call(AuthAdminService.method.deleteAccount, { userId: alice.userId });
    await platform().bus.idle();
    expect(profileEvents.filter((event) => event.userId === alice.userId)).to.have.length(2);
    const again = await api().ok<Profile>('GET', `/api/v1/users/${alice.userId}`, { token: bob.accessToken });
    expect(again).to.include({ nickname: 'Deleted account', accountDeleted: true });

    const [row] = await userSql<Record<string, unknown>>(
      `select "account", "phone_number", "email", "birthday", "region", "deleted_at" is not null as "deleted"
       from "user"."user_profiles" where "user_id" = ?`,
      [alice.userId],
    );
    expect(row).to.deep.equal({
      account: `deleted-${alice.userId}`,
      phone_number: null,
      email: null,
      birthday: null,
      region: null,
      deleted: true,
    });
    const tokens = await userSql('select 1 from "user"."user_push_tokens" where "user_id" = ?', [
      alice.userId,
    ]);
    expect(tokens).to.have.length(0);

    // Nobody can befriend the placeholder.
    const stranger = await registerUser(api());
    const request = await api().call('POST', '/api/v1/friends/requests', {
      token: stranger.accessToken,
      body: { userId: alice.userId, message: 'hi', source: 'search' },
    });
    expect(request.body.code).to.equal(10102);

    // Nor write to it, even as a friend: the conversation's history stays, new messages are refused.
    const sent = await api().call('POST', '/api/v1/messages', {
      token: bob.accessToken,
      body: {
        sessionType: 'single',
        targetId: alice.userId,
        contentType: 'text',
        content: 'still there?',
        clientMsgId: 'after-deletion',
      },
    });
    expect(sent.body.code).to.equal(10102);
  });

  it('keeps an account deleted before its registration reached the user service out of the directory', async () => {
    const viewer = await registerUser(api());
    const userId = `9${String(Date.now()).slice(-12)}`;
    const account = uniqueAccount('late');
    await platform().bus.publish('auth', platform().pubsubName, AuthTopics.accountStatusChanged, {
      userId,
      status: AccountStatusCodes.DELETED,
    });
    await platform().bus.idle();
    await platform().invoker.call(UserService.method.createProfile, {
      userId,
      account,
      nickname: 'Late Larry',
    });
    expect(await found(viewer, account, userId)).to.equal(false);
    expect(await found(viewer, 'Late Larry', userId)).to.equal(false);
    const seen = await api().ok<Profile>('GET', `/api/v1/users/${userId}`, { token: viewer.accessToken });
    expect(seen).to.include({ nickname: 'Deleted account', accountDeleted: true });
  });

  it('keeps banned and frozen accounts in the directory', async () => {
    const tag = uniqueAccount('banned');
    const carol = await registerUser(api(), { nickname: `${tag} Carol` });
    const dave = await registerUser(api());
    for (const status of [AccountStatusCodes.DISABLED, AccountStatusCodes.FROZEN]) {
      await platform().invoker.call(AuthService.method.setAccountStatus, { userId: carol.userId, status });
      await platform().bus.idle();
      expect(await found(dave, carol.account, carol.userId), `status ${status}`).to.equal(true);
      expect(await found(dave, tag, carol.userId), `status ${status}`).to.equal(true);
      const seen = await api().ok<Profile>('GET', `/api/v1/users/${carol.userId}`, {
        token: dave.accessToken,
      });
      expect(seen).to.include({ nickname: `${tag} Carol`, accountDeleted: false });
    }
    expect(profileEvents.some((event) => event.userId === carol.userId)).to.equal(false);
  });
});
