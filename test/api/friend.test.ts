import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { friendEntities } from '../../services/friend/entities.ts';
import { type Host, startHost } from '../../services/host.ts';
import { FriendService } from '../../services/platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import { GroupChangedSchema } from '../../services/platform/contracts/gen/anychat/group/v1/events_pb.ts';
import type { TimelineAppendRequested } from '../../services/platform/contracts/gen/anychat/message/v1/events_pb.ts';
import { TimelineTopics } from '../../services/platform/contracts/index.ts';
import {
  type MikroORM,
  openServiceDatabase,
  sqlExecutor,
  sqlExecutorOf,
  startEmbeddedPostgres,
} from '../../services/platform/db/index.ts';
import { AppError, ErrorCode } from '../../services/platform/errors.ts';
import { eventSubscription, eventTopic } from '../../services/platform/events/index.ts';
import { SnowflakeGenerator } from '../../services/platform/ids.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { Outbox, outboxEvent } from '../../services/platform/outbox.ts';
import { EmbeddedInvoker } from '../../services/platform/ports/embedded/invoke.ts';
import { EmbeddedBus } from '../../services/platform/ports/embedded/pubsub.ts';
import { PostgresStatePort } from '../../services/platform/ports/embedded/state.ts';
import type { PubSubPort } from '../../services/platform/ports/index.ts';
import { PresenceRegistry } from '../../services/platform/presence/index.ts';
import { ApiClient, registerUser, type SignedIn } from '../support/api-client.ts';
import { createBackend, requirePostgres } from '../support/backends.ts';
import { forEachBackend, testConfig } from '../support/platform.ts';

interface BriefDto {
  userId: string;
  nickname: string;
  avatar: string | null;
  signature: string | null;
}

interface RequestDto {
  requestId: string;
  fromUserId: string;
  toUserId: string;
  user: BriefDto | null;
  message: string | null;
  source: string;
  status: string;
  createdAt: string;
  expiresAt: string;
  handledAt: string | null;
}

interface FriendDto extends BriefDto {
  remark: string | null;
  categoryId: string | null;
  isMuted: boolean;
  isStarred: boolean;
  online: boolean;
  platforms: string[];
  lastActiveTime: string | null;
  createdAt: string;
  updateTime: number;
  deleted: false;
}

interface DeletedDto {
  userId: string;
  deleted: true;
  updateTime: number;
}

interface FriendList {
  friends: Array<FriendDto | DeletedDto>;
  total: number;
  updateTime: number;
  hasMore: boolean;
}

interface CategoryDto {
  categoryId: string;
  name: string;
  friendCount: number;
  createdAt: string;
}

type User = SignedIn & { account: string };

/** Calls shared by the suites: each takes the API client of the platform under test. */
const calls = (api: () => ApiClient) => {
  const register = (nickname?: string): Promise<User> =>
    registerUser(api(), nickname ? { nickname } : {}) as Promise<User>;
  const send = (from: User, to: User | string, body: Record<string, unknown> = {}) =>
    api().call<{ requestId: string; status: string }>('POST', '/api/v1/friends/requests', {
      token: from.accessToken,
      body: { userId: typeof to === 'string' ? to : to.userId, ...body },
    });
  const handle = (user: User, requestId: string, action: string) =>
    api().call<{ requestId: string; status: string }>('PUT', `/api/v1/friends/requests/${requestId}`, {
      token: user.accessToken,
      body: { action },
    });
  const requests = (user: User, query = '') =>
    api().ok<{ total: number; requests: RequestDto[] }>('GET', `/api/v1/friends/requests${query}`, {
      token: user.accessToken,
    });
  const friends = (user: User, query = '') =>
    api().ok<FriendList>('GET', `/api/v1/friends${query}`, { token: user.accessToken });
  const friendIds = async (user: User) => (await friends(user)).friends.map((f) => f.userId).sort();
  const befriend = async (a: User, b: User) => {
    const sent = await send(a, b, { message: 'hello' });
    expect(sent.body.code, JSON.stringify(sent.body)).to.equal(0);
    if (sent.body.data.status === 'pending') {
      const accepted = await handle(b, sent.body.data.requestId, 'accept');
      expect(accepted.body.code, JSON.stringify(accepted.body)).to.equal(0);
    }
  };
  const noVerify = (user: User) =>
    api().ok('PUT', '/api/v1/users/settings', { token: user.accessToken, body: { friendVerify: false } });
  const expectCode = (response: { status: number; body: { code: number } }, code: number, status: number) => {
    expect(response.body.code, JSON.stringify(response.body)).to.equal(code);
    expect(response.status).to.equal(status);
  };
  return { register, send, handle, requests, friends, friendIds, befriend, noVerify, expectCode };
};

const sorted = (...ids: string[]) => [...ids].sort();

forEachBackend('friends over HTTP', (platform) => {
  const api = () => platform().api;
  const { register, send, handle, requests, friends, friendIds, befriend, noVerify, expectCode } = calls(api);

  it('sends a request with a message and source, lists it both ways, and accepting makes both friends', async () => {
    const alice = await register('Alice');
    const bob = await register('Bob');
    const sent = await send(alice, bob, { message: 'I am Alice from work', source: 'qrcode' });
    expect(sent.status).to.equal(200);
    expect(sent.body.data.status).to.equal('pending');
    const { requestId } = sent.body.data;

    const incoming = await requests(bob, '?direction=incoming');
    expect(incoming.total).to.equal(1);
    const request = incoming.requests[0]!;
    expect(request).to.include({
      requestId,
      fromUserId: alice.userId,
      toUserId: bob.userId,
      message: 'I am Alice from work',
      source: 'qrcode',
      status: 'pending',
      handledAt: null,
    });
    expect(request.user).to.deep.equal({
      userId: alice.userId,
      nickname: 'Alice',
      avatar: null,
      signature: null,
    });
    expect(Date.parse(request.expiresAt) - Date.parse(request.createdAt)).to.equal(7 * 86_400_000);
    // Incoming is the default direction.
    expect((await requests(bob)).requests.map((r) => r.requestId)).to.deep.equal([requestId]);
    const outgoing = await requests(alice, '?direction=outgoing');
    expect(outgoing.requests.map((r) => [r.requestId, r.user?.nickname])).to.deep.equal([[requestId, 'Bob']]);
    expect((await requests(alice, '?direction=incoming')).total).to.equal(0);
    expect((await requests(bob, '?direction=outgoing')).total).to.equal(0);

    const accepted = await handle(bob, requestId, 'accept');
    expect(accepted.body.data).to.deep.equal({ requestId, status: 'accepted' });
    const aliceList = await friends(alice);
    expect(aliceList.total).to.equal(1);
    expect(aliceList.hasMore).to.equal(false);
    expect(aliceList.friends[0]).to.deep.include({
      userId: bob.userId,
      nickname: 'Bob',
      avatar: null,
      signature: null,
      remark: null,
      categoryId: null,
      isMuted: false,
      isStarred: false,
      online: false,
      platforms: [],
      lastActiveTime: null,
      deleted: false,
    });
    expect((aliceList.friends[0] as FriendDto).updateTime).to.be.at.most(aliceList.updateTime);
    expect(await friendIds(bob)).to.deep.equal([alice.userId]);
    const single = await api().ok<FriendDto>('GET', `/api/v1/friends/${alice.userId}`, {
      token: bob.accessToken,
    });
    expect(single).to.include({ userId: alice.userId, nickname: 'Alice', deleted: false });

    expectCode(await handle(bob, requestId, 'accept'), ErrorCode.FRIEND_REQUEST_HANDLED, 400);
    expectCode(await handle(bob, requestId, 'reject'), ErrorCode.FRIEND_REQUEST_HANDLED, 400);
    const handled = (await requests(bob)).requests[0]!;
    expect(handled.status).to.equal('accepted');
    expect(handled.handledAt).to.be.a('string');
    expect((await requests(bob, '?status=accepted')).total).to.equal(1);
    expect((await requests(bob, '?status=pending')).total).to.equal(0);
  });

  it('refuses requests to myself, to unknown users, to friends, and a repeat within 24 hours', async () => {
    const carol = await register();
    const dave = await register();
    expectCode(await send(carol, carol), ErrorCode.FRIEND_SELF, 400);
    expectCode(await send(carol, '123456789012345678'), ErrorCode.USER_NOT_FOUND, 404);
    const first = await send(carol, dave, { message: 'hi' });
    expect(first.body.data.status).to.equal('pending');
    expectCode(await send(carol, dave, { message: 'hi again' }), ErrorCode.FRIEND_REQUEST_DUPLICATE, 400);
    await handle(dave, first.body.data.requestId, 'accept');
    expectCode(await send(carol, dave), ErrorCode.ALREADY_FRIENDS, 400);
    expectCode(await send(dave, carol), ErrorCode.ALREADY_FRIENDS, 400);
  });

  it('lets only the recipient handle a request; a rejected one cannot be repeated within 24 hours', async () => {
    const carol = await register();
    const dave = await register();
    const eve = await register();
    const { requestId } = (await send(carol, dave)).body.data;
    expectCode(await handle(carol, requestId, 'accept'), ErrorCode.FRIEND_REQUEST_NOT_FOUND, 404);
    expectCode(await handle(eve, requestId, 'accept'), ErrorCode.FRIEND_REQUEST_NOT_FOUND, 404);
    expectCode(await handle(eve, requestId, 'reject'), ErrorCode.FRIEND_REQUEST_NOT_FOUND, 404);
    expectCode(await handle(dave, '999999999999', 'accept'), ErrorCode.FRIEND_REQUEST_NOT_FOUND, 404);
    // Nobody else sees it in their lists either.
    expect((await requests(eve)).total).to.equal(0);
    expect((await requests(eve, '?direction=outgoing')).total).to.equal(0);

    const rejected = await handle(dave, requestId, 'reject');
    expect(rejected.body.data).to.deep.equal({ requestId, status: 'rejected' });
    expect((await requests(carol, '?direction=outgoing')).requests[0]).to.include({ status: 'rejected' });
    expect((await requests(dave, '?status=rejected')).total).to.equal(1);
    expectCode(await handle(dave, requestId, 'accept'), ErrorCode.FRIEND_REQUEST_HANDLED, 400);
    expectCode(await send(carol, dave), ErrorCode.FRIEND_REQUEST_DUPLICATE, 400);
    expect(await friendIds(carol)).to.deep.equal([]);
    expect(await friendIds(dave)).to.deep.equal([]);
  });

  it('makes friends at once when the other user does not verify requests', async () => {
    const alice = await register();
    const bob = await register();
    await noVerify(bob);
    const sent = await send(alice, bob, { message: 'hi' });
    expect(sent.body.data.status).to.equal('accepted');
    expect(await friendIds(alice)).to.deep.equal([bob.userId]);
    expect(await friendIds(bob)).to.deep.equal([alice.userId]);
    const incoming = await requests(bob);
    expect(incoming.requests[0]).to.include({ requestId: sent.body.data.requestId, status: 'accepted' });
    expect(incoming.requests[0]!.handledAt).to.be.a('string');
  });

  it('makes friends at once when the other user has already asked', async () => {
    const alice = await register();
    const bob = await register();
    const asked = await send(bob, alice, { message: 'from bob' });
    const crossed = await send(alice, bob, { message: 'from alice' });
    expect(crossed.body.data).to.deep.equal({ requestId: asked.body.data.requestId, status: 'accepted' });
    expect(await friendIds(alice)).to.deep.equal([bob.userId]);
    expect(await friendIds(bob)).to.deep.equal([alice.userId]);
    expect((await requests(bob, '?direction=outgoing')).requests[0]).to.include({ status: 'accepted' });
    expect((await requests(alice, '?status=pending')).total).to.equal(0);
  });

  it('settles simultaneous requests and answers between two users exactly once', async () => {
    const alice = await register();
    const bob = await register();
    const crossed = await Promise.all([send(alice, bob), send(bob, alice)]);
    expect(crossed.map((r) => r.body.code)).to.deep.equal([0, 0]);
    expect(crossed.map((r) => r.body.data.status).sort()).to.deep.equal(['accepted', 'pending']);
    expect(crossed[0]!.body.data.requestId).to.equal(crossed[1]!.body.data.requestId);
    expect(await friendIds(alice)).to.deep.equal([bob.userId]);

    const carol = await register();
    const { requestId } = (await send(carol, alice)).body.data;
    const answers = await Promise.all([
      handle(alice, requestId, 'accept'),
      handle(alice, requestId, 'accept'),
      handle(alice, requestId, 'reject'),
    ]);
    expect(answers.filter((r) => r.body.code === 0)).to.have.length(1);
    expect(answers.filter((r) => r.body.code === ErrorCode.FRIEND_REQUEST_HANDLED)).to.have.length(2);
    const winner = answers.find((r) => r.body.code === 0)!.body.data.status;
    expect(await friendIds(carol)).to.deep.equal(winner === 'accepted' ? [alice.userId] : []);
  });

  it('blocks requests from blacklisted users without telling them, and reports the relation on profiles', async () => {
    const alice = await register('Blocker');
    const bob = await register('Blocked');
    const profileOf = (viewer: User, user: User) =>
      api().ok<{ userId: string; isFriend: boolean; isBlocked: boolean }>(
        'GET',
        `/api/v1/users/${user.userId}`,
        {
          token: viewer.accessToken,
        },
      );
    expect(await profileOf(alice, bob)).to.include({ isFriend: false, isBlocked: false });

    const added = await api().ok<{ userId: string; blockedAt: string }>('POST', '/api/v1/friends/blacklist', {
      token: alice.accessToken,
      body: { userId: bob.userId },
    });
    expect(added.userId).to.equal(bob.userId);
    expect(Math.abs(Date.parse(added.blockedAt) - Date.now())).to.be.below(60_000);
    expectCode(
      await api().call('POST', '/api/v1/friends/blacklist', {
        token: alice.accessToken,
        body: { userId: bob.userId },
      }),
      ErrorCode.ALREADY_BLACKLISTED,
      400,
    );
    const list = await api().ok<{ total: number; users: Array<{ userId: string; nickname: string }> }>(
      'GET',
      '/api/v1/friends/blacklist',
      { token: alice.accessToken },
    );
    expect(list.total).to.equal(1);
    expect(list.users[0]).to.include({ userId: bob.userId, nickname: 'Blocked', blockedAt: added.blockedAt });
    expect(
      (await api().ok<{ total: number }>('GET', '/api/v1/friends/blacklist', { token: bob.accessToken }))
        .total,
    ).to.equal(0);

    expectCode(await send(bob, alice), ErrorCode.BLOCKED_BY_PEER, 403);
    expectCode(await send(alice, bob), ErrorCode.ALREADY_BLACKLISTED, 400);
    expect(await profileOf(alice, bob)).to.include({ isFriend: false, isBlocked: true });
    expect(await profileOf(bob, alice)).to.include({ isFriend: false, isBlocked: false });

    expectCode(
      await api().call('POST', '/api/v1/friends/blacklist', {
        token: alice.accessToken,
        body: { userId: alice.userId },
      }),
      ErrorCode.INVALID_PARAMS,
      400,
    );
    expectCode(
      await api().call('POST', '/api/v1/friends/blacklist', {
        token: alice.accessToken,
        body: { userId: '123456789012345678' },
      }),
      ErrorCode.USER_NOT_FOUND,
      404,
    );
    // Bob cannot take himself off Alice's list.
    expectCode(
      await api().call('DELETE', `/api/v1/friends/blacklist/${bob.userId}`, { token: bob.accessToken }),
      ErrorCode.NOT_BLACKLISTED,
      404,
    );
    await api().ok('DELETE', `/api/v1/friends/blacklist/${bob.userId}`, { token: alice.accessToken });
    expectCode(
      await api().call('DELETE', `/api/v1/friends/blacklist/${bob.userId}`, { token: alice.accessToken }),
      ErrorCode.NOT_BLACKLISTED,
      404,
    );
    expect(await profileOf(alice, bob)).to.include({ isBlocked: false });
    expect((await send(bob, alice)).body.data.status).to.equal('pending');
  });

  it('keeps the friendship when a friend is blacklisted', async () => {
    const alice = await register();
    const bob = await register();
    await befriend(alice, bob);
    await api().ok('POST', '/api/v1/friends/blacklist', {
      token: alice.accessToken,
      body: { userId: bob.userId },
    });
    expect(await friendIds(alice)).to.deep.equal([bob.userId]);
    expect(await friendIds(bob)).to.deep.equal([alice.userId]);
    const seen = await api().ok<{ isFriend: boolean; isBlocked: boolean }>(
      'GET',
      `/api/v1/users/${bob.userId}`,
      {
        token: alice.accessToken,
      },
    );
    expect(seen).to.include({ isFriend: true, isBlocked: true });
    const back = await api().ok<{ isFriend: boolean; isBlocked: boolean }>(
      'GET',
      `/api/v1/users/${alice.userId}`,
      {
        token: bob.accessToken,
      },
    );
    expect(back).to.include({ isFriend: true, isBlocked: false });
  });

  it('deletes a friend on both sides, and incremental sync reports the deletion', async () => {
    const alice = await register();
    const bob = await register();
    const carol = await register();
    await befriend(alice, bob);
    await befriend(alice, carol);
    const before = await friends(alice);
    expect(before.total).to.equal(2);
    const bobBefore = await friends(bob);
    expect((await friends(alice, `?lastUpdateTime=${before.updateTime}`)).friends).to.deep.equal([]);

    const deleted = await api().call('DELETE', `/api/v1/friends/${bob.userId}`, { token: alice.accessToken });
    expect(deleted.body).to.include({ code: 0, data: null });
    const changes = await friends(alice, `?lastUpdateTime=${before.updateTime}`);
    expect(changes.friends).to.have.length(1);
    expect(changes.friends[0]).to.include({ userId: bob.userId, deleted: true });
    expect(changes.total).to.equal(1);
    expect(changes.hasMore).to.equal(false);
    expect(changes.updateTime).to.be.above(before.updateTime);
    // The same cursor as an ISO time gives the same answer; the new cursor gives nothing.
    const iso = new Date(before.updateTime).toISOString();
    expect((await friends(alice, `?lastUpdateTime=${encodeURIComponent(iso)}`)).friends).to.deep.equal(
      changes.friends,
    );
    expect((await friends(alice, `?lastUpdateTime=${changes.updateTime}`)).friends).to.deep.equal([]);
    // Bob's side went too.
    expect(await friendIds(bob)).to.deep.equal([]);
    const bobChanges = await friends(bob, `?lastUpdateTime=${bobBefore.updateTime}`);
    expect(bobChanges.friends).to.deep.equal([
      { userId: alice.userId, deleted: true, updateTime: bobChanges.updateTime },
    ]);
    // A full sync from zero lists what is there and what went.
    const fromZero = await friends(alice, '?lastUpdateTime=0');
    expect(fromZero.friends.map((f) => [f.userId, f.deleted])).to.have.deep.members([
      [bob.userId, true],
      [carol.userId, false],
    ]);

    expectCode(
      await api().call('DELETE', `/api/v1/friends/${bob.userId}`, { token: alice.accessToken }),
      ErrorCode.FRIEND_NOT_FOUND,
      404,
    );
    expectCode(
      await api().call('GET', `/api/v1/friends/${bob.userId}`, { token: alice.accessToken }),
      ErrorCode.FRIEND_NOT_FOUND,
      404,
    );
    // Carol cannot end Alice's other friendships: she is not a party to them.
    await befriend(alice, bob);
    expectCode(
      await api().call('DELETE', `/api/v1/friends/${bob.userId}`, { token: carol.accessToken }),
      ErrorCode.FRIEND_NOT_FOUND,
      404,
    );
    expect(await friendIds(alice)).to.deep.equal(sorted(bob.userId, carol.userId));
  });

  it('keeps remarks, mute and star to their owner, reports them in sync, and validates them', async () => {
    const alice = await register();
    const bob = await register('Bob');
    const carol = await register();
    await befriend(alice, bob);
    const cursor = (await friends(alice)).updateTime;
    const remarked = await api().ok<FriendDto>('PUT', `/api/v1/friends/${bob.userId}/remark`, {
      token: alice.accessToken,
      body: { remark: '  Bobby from school ' },
    });
    expect(remarked).to.include({ userId: bob.userId, nickname: 'Bob', remark: 'Bobby from school' });
    expect(remarked.updateTime).to.be.above(cursor);
    const changes = await friends(alice, `?lastUpdateTime=${cursor}`);
    expect(changes.friends).to.have.length(1);
    expect(changes.friends[0]).to.include({ userId: bob.userId, remark: 'Bobby from school' });
    expect(changes.updateTime).to.equal(remarked.updateTime);
    // Bob's view of Alice has no remark.
    expect((await friends(bob)).friends[0]).to.include({ remark: null });

    const muted = await api().ok<FriendDto>('PUT', `/api/v1/friends/${bob.userId}/settings`, {
      token: alice.accessToken,
      body: { isMuted: true },
    });
    expect(muted).to.include({ isMuted: true, isStarred: false, remark: 'Bobby from school' });
    const starred = await api().ok<FriendDto>('PUT', `/api/v1/friends/${bob.userId}/settings`, {
      token: alice.accessToken,
      body: { isStarred: true, isMuted: false },
    });
    expect(starred).to.include({ isMuted: false, isStarred: true });
    expect((await friends(bob)).friends[0]).to.include({ isMuted: false, isStarred: false });
    // An unchanged value does not move the cursor.
    const same = await api().ok<FriendDto>('PUT', `/api/v1/friends/${bob.userId}/settings`, {
      token: alice.accessToken,
      body: { isStarred: true },
    });
    expect(same.updateTime).to.equal(starred.updateTime);

    for (const clear of ['', null]) {
      await api().ok('PUT', `/api/v1/friends/${bob.userId}/remark`, {
        token: alice.accessToken,
        body: { remark: 'x' },
      });
      const cleared = await api().ok<FriendDto>('PUT', `/api/v1/friends/${bob.userId}/remark`, {
        token: alice.accessToken,
        body: { remark: clear },
      });
      expect(cleared.remark).to.equal(null);
    }
    const exactly50 = await api().ok<FriendDto>('PUT', `/api/v1/friends/${bob.userId}/remark`, {
      token: alice.accessToken,
      body: { remark: '好'.repeat(50) },
    });
    expect(exactly50.remark).to.equal('好'.repeat(50));

    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['remark', { remark: 'x'.repeat(51) }, 'body.remark'],
      ['remark', { remark: 'a\u0000b' }, 'body.remark'],
      ['remark', {}, 'body.remark'],
      ['settings', {}, 'body'],
      ['settings', { isMuted: 'yes' }, 'body.isMuted'],
    ];
    for (const [path, body, field] of bad) {
      const response = await api().call('PUT', `/api/v1/friends/${bob.userId}/${path}`, {
        token: alice.accessToken,
        body,
      });
      expectCode(response, ErrorCode.INVALID_PARAMS, 400);
      expect(response.body.message).to.contain(field);
    }
    // Not a friend: neither a stranger's nor someone else's friend can be changed.
    for (const [path, body] of [
      ['remark', { remark: 'x' }],
      ['settings', { isMuted: true }],
      ['category', { categoryId: null }],
    ] as const) {
      expectCode(
        await api().call('PUT', `/api/v1/friends/${carol.userId}/${path}`, {
          token: alice.accessToken,
          body,
        }),
        ErrorCode.FRIEND_NOT_FOUND,
        404,
      );
      expectCode(
        await api().call('PUT', `/api/v1/friends/${bob.userId}/${path}`, { token: carol.accessToken, body }),
        ErrorCode.FRIEND_NOT_FOUND,
        404,
      );
    }
  });

  it('groups friends in categories; deleting one moves its friends back to the default category', async () => {
    const alice = await register();
    const bob = await register();
    const carol = await register();
    await befriend(alice, bob);
    await befriend(alice, carol);
    const create = (user: User, name: string) =>
      api().call<CategoryDto>('POST', '/api/v1/friends/categories', {
        token: user.accessToken,
        body: { name },
      });
    const categories = (user: User) =>
      api().ok<{ categories: CategoryDto[]; defaultFriendCount: number }>(
        'GET',
        '/api/v1/friends/categories',
        {
          token: user.accessToken,
        },
      );
    const work = (await create(alice, ' Work ')).body.data;
    expect(work).to.include({ name: 'Work', friendCount: 0 });
    expectCode(await create(alice, 'Work'), ErrorCode.INVALID_PARAMS, 400);
    expectCode(await create(alice, ''), ErrorCode.INVALID_PARAMS, 400);
    expectCode(await create(alice, 'x'.repeat(21)), ErrorCode.INVALID_PARAMS, 400);
    const family = (await create(alice, 'Family')).body.data;
    // Bob may use the same name: categories are per user.
    const bobs = (await create(bob, 'Work')).body.data;

    const moved = await api().ok<FriendDto>('PUT', `/api/v1/friends/${bob.userId}/category`, {
      token: alice.accessToken,
      body: { categoryId: work.categoryId },
    });
    expect(moved.categoryId).to.equal(work.categoryId);
    let listed = await categories(alice);
    expect(listed.categories.map((c) => [c.name, c.friendCount])).to.deep.equal([
      ['Work', 1],
      ['Family', 0],
    ]);
    expect(listed.defaultFriendCount).to.equal(1);
    expect((await categories(bob)).categories.map((c) => c.categoryId)).to.deep.equal([bobs.categoryId]);

    const inWork = await friends(alice, `?categoryId=${work.categoryId}`);
    expect(inWork.friends.map((f) => f.userId)).to.deep.equal([bob.userId]);
    expect(inWork.total).to.equal(1);
    expect((await friends(alice, '?categoryId=0')).friends.map((f) => f.userId)).to.deep.equal([
      carol.userId,
    ]);
    expect((await friends(alice, `?categoryId=${family.categoryId}`)).friends).to.deep.equal([]);

    // Someone else's category can be neither used, read, renamed nor deleted.
    expectCode(
      await api().call('PUT', `/api/v1/friends/${carol.userId}/category`, {
        token: alice.accessToken,
        body: { categoryId: bobs.categoryId },
      }),
      ErrorCode.NOT_FOUND,
      404,
    );
    expectCode(
      await api().call('GET', `/api/v1/friends?categoryId=${work.categoryId}`, { token: bob.accessToken }),
      ErrorCode.NOT_FOUND,
      404,
    );
    expectCode(
      await api().call('PUT', `/api/v1/friends/categories/${work.categoryId}`, {
        token: bob.accessToken,
        body: { name: 'Mine' },
      }),
      ErrorCode.NOT_FOUND,
      404,
    );
    expectCode(
      await api().call('DELETE', `/api/v1/friends/categories/${work.categoryId}`, { token: bob.accessToken }),
      ErrorCode.NOT_FOUND,
      404,
    );

    const renamed = await api().ok<CategoryDto>('PUT', `/api/v1/friends/categories/${work.categoryId}`, {
      token: alice.accessToken,
      body: { name: 'Colleagues' },
    });
    expect(renamed).to.include({ categoryId: work.categoryId, name: 'Colleagues', friendCount: 1 });
    expectCode(
      await api().call('PUT', `/api/v1/friends/categories/${work.categoryId}`, {
        token: alice.accessToken,
        body: { name: 'Family' },
      }),
      ErrorCode.INVALID_PARAMS,
      400,
    );

    const cursor = (await friends(alice)).updateTime;
    const removed = await api().ok<{ movedFriendIds: string[] }>(
      'DELETE',
      `/api/v1/friends/categories/${work.categoryId}`,
      { token: alice.accessToken },
    );
    expect(removed.movedFriendIds).to.deep.equal([bob.userId]);
    const changes = await friends(alice, `?lastUpdateTime=${cursor}`);
    expect(changes.friends.map((f) => [f.userId, (f as FriendDto).categoryId])).to.deep.equal([
      [bob.userId, null],
    ]);
    listed = await categories(alice);
    expect(listed.categories.map((c) => c.name)).to.deep.equal(['Family']);
    expect(listed.defaultFriendCount).to.equal(2);
    expectCode(
      await api().call('DELETE', `/api/v1/friends/categories/${work.categoryId}`, {
        token: alice.accessToken,
      }),
      ErrorCode.NOT_FOUND,
      404,
    );
    expectCode(
      await api().call('GET', `/api/v1/friends?categoryId=${work.categoryId}`, { token: alice.accessToken }),
      ErrorCode.NOT_FOUND,
      404,
    );
    // Back into a category and out again with null.
    await api().ok('PUT', `/api/v1/friends/${carol.userId}/category`, {
      token: alice.accessToken,
      body: { categoryId: family.categoryId },
    });
    const out = await api().ok<FriendDto>('PUT', `/api/v1/friends/${carol.userId}/category`, {
      token: alice.accessToken,
      body: { categoryId: null },
    });
    expect(out.categoryId).to.equal(null);
  });

  it('pages through the friend list and through changes without losing or repeating any', async () => {
    const alice = await register();
    const others = await Promise.all([register(), register(), register(), register(), register()]);
    for (const other of others) {
      await noVerify(other);
      await befriend(alice, other);
    }
    const all = sorted(...others.map((o) => o.userId));
    const first = await friends(alice, '?pageSize=2');
    const second = await friends(alice, '?pageSize=2&page=2');
    const third = await friends(alice, '?pageSize=2&page=3');
    expect([first.total, second.total, third.total]).to.deep.equal([5, 5, 5]);
    expect([first.hasMore, second.hasMore, third.hasMore]).to.deep.equal([true, true, false]);
    expect([first, second, third].flatMap((p) => p.friends.map((f) => f.userId)).sort()).to.deep.equal(all);
    expect((await friends(alice, '?pageSize=2&page=4')).friends).to.deep.equal([]);

    // Changes: a change made while paging shows up later, never lost.
    const seen: string[] = [];
    let cursor = 0;
    let page = await friends(alice, `?lastUpdateTime=${cursor}&pageSize=2`);
    expect(page.hasMore).to.equal(true);
    seen.push(...page.friends.map((f) => f.userId));
    cursor = page.updateTime;
    await api().ok('PUT', `/api/v1/friends/${page.friends[0]!.userId}/remark`, {
      token: alice.accessToken,
      body: { remark: 'changed while paging' },
    });
    for (;;) {
      page = await friends(alice, `?lastUpdateTime=${cursor}&pageSize=2`);
      seen.push(...page.friends.map((f) => f.userId));
      expect(page.updateTime).to.be.at.least(cursor);
      cursor = page.updateTime;
      if (!page.hasMore) break;
    }
    expect(seen).to.have.length(6);
    expect([...new Set(seen)].sort()).to.deep.equal(all);
    expect(seen.at(-1)).to.equal(seen[0]);
    expect((await friends(alice, `?lastUpdateTime=${cursor}`)).friends).to.deep.equal([]);
  });

  it('validates query, path and body values', async () => {
    const alice = await register();
    const cases: Array<[string, string, Record<string, unknown> | undefined, string]> = [
      ['POST', '/api/v1/friends/requests', { userId: 'abc' }, 'body.userId'],
      [
        'POST',
        '/api/v1/friends/requests',
        { userId: alice.userId, message: 'm'.repeat(201) },
        'body.message',
      ],
      ['POST', '/api/v1/friends/requests', { userId: alice.userId, source: 'radar' }, 'body.source'],
      ['PUT', '/api/v1/friends/requests/123', { action: 'maybe' }, 'body.action'],
      ['PUT', '/api/v1/friends/requests/abc', { action: 'accept' }, 'params.id'],
      ['GET', '/api/v1/friends?lastUpdateTime=yesterday', undefined, 'query.lastUpdateTime'],
      ['GET', '/api/v1/friends?lastUpdateTime=-5', undefined, 'query.lastUpdateTime'],
      ['GET', '/api/v1/friends?categoryId=abc', undefined, 'query.categoryId'],
      ['GET', '/api/v1/friends?categoryId=1&lastUpdateTime=1', undefined, 'categoryId cannot be combined'],
      ['GET', '/api/v1/friends?pageSize=501', undefined, 'query.pageSize'],
      ['GET', '/api/v1/friends/requests?direction=sideways', undefined, 'query.direction'],
      ['GET', '/api/v1/friends/requests?status=lost', undefined, 'query.status'],
      ['GET', '/api/v1/friends/blacklist?page=0', undefined, 'query.page'],
      ['PUT', '/api/v1/friends/1/category', { categoryId: 'work' }, 'body.categoryId'],
      ['DELETE', '/api/v1/friends/blacklist/x', undefined, 'params.id'],
    ];
    for (const [method, path, body, field] of cases) {
      const response = await api().call(method, path, {
        token: alice.accessToken,
        ...(body ? { body } : {}),
      });
      expect(response.status, `${method} ${path}`).to.equal(400);
      expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
      expect(response.body.message, `${method} ${path}`).to.contain(field);
    }
    // Nothing was stored by any of it.
    expect((await requests(alice, '?direction=outgoing')).total).to.equal(0);
  });
});

forEachBackend(
  'friend limits, expiry and rate limits',
  (platform) => {
    const api = () => platform().api;
    const { register, send, handle, requests, friendIds, befriend, noVerify, expectCode } = calls(api);

    it('refuses friends past the limit on either side, when asking and when accepting', async () => {
      const [full, a, b, c, d] = await Promise.all([
        register(),
        register(),
        register(),
        register(),
        register(),
      ]);
      await noVerify(a);
      await noVerify(b);
      // Asked while there was room.
      const cToFull = (await send(c, full)).body.data.requestId;
      const cToD = (await send(c, d)).body.data.requestId;
      await befriend(full, a);
      await befriend(full, b);
      expect(await friendIds(full)).to.deep.equal(sorted(a.userId, b.userId));
      expectCode(await send(full, d), ErrorCode.FRIEND_LIMIT, 400);
      expectCode(await send(d, full), ErrorCode.PEER_FRIEND_LIMIT, 400);
      // Accepting (or asking back, which accepts) needs room too.
      expectCode(await handle(full, cToFull, 'accept'), ErrorCode.FRIEND_LIMIT, 400);
      expectCode(await send(full, c), ErrorCode.FRIEND_LIMIT, 400);
      await befriend(c, a);
      await befriend(c, b);
      expectCode(await handle(d, cToD, 'accept'), ErrorCode.PEER_FRIEND_LIMIT, 400);
      expect((await requests(d)).requests[0]).to.include({ requestId: cToD, status: 'pending' });
      expect(await friendIds(d)).to.deep.equal([]);
      // A deletion makes room.
      await api().ok('DELETE', `/api/v1/friends/${a.userId}`, { token: c.accessToken });
      expect((await handle(d, cToD, 'accept')).body.data.status).to.equal('accepted');
      expect(await friendIds(c)).to.deep.equal(sorted(b.userId, d.userId));
    });

    it('limits the blacklist', async () => {
      const [owner, x, y] = await Promise.all([register(), register(), register()]);
      await api().ok('POST', '/api/v1/friends/blacklist', {
        token: owner.accessToken,
        body: { userId: x.userId },
      });
      expectCode(
        await api().call('POST', '/api/v1/friends/blacklist', {
          token: owner.accessToken,
          body: { userId: y.userId },
        }),
        ErrorCode.BLACKLIST_LIMIT,
        400,
      );
    });

    it('expires pending requests after their lifetime, and a newer request replaces an older one', async () => {
      const [asker, asked] = await Promise.all([register(), register()]);
      const first = (await send(asker, asked, { message: 'first' })).body.data.requestId;
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      // The one-per-window rule (1 s here) has passed: a new request replaces the pending one.
      const second = (await send(asker, asked, { message: 'second' })).body.data.requestId;
      expect(second).to.not.equal(first);
      let incoming = await requests(asked);
      expect(incoming.requests.map((r) => [r.requestId, r.status])).to.deep.equal([
        [second, 'pending'],
        [first, 'expired'],
      ]);
      expectCode(await handle(asked, first, 'accept'), ErrorCode.FRIEND_REQUEST_EXPIRED, 400);
      await new Promise((resolve) => setTimeout(resolve, 3_100));
      incoming = await requests(asked);
      expect(incoming.requests.map((r) => r.status)).to.deep.equal(['expired', 'expired']);
      expect((await requests(asked, '?status=pending')).total).to.equal(0);
      expect((await requests(asked, '?status=expired')).total).to.equal(2);
      expectCode(await handle(asked, second, 'accept'), ErrorCode.FRIEND_REQUEST_EXPIRED, 400);
      expectCode(await handle(asked, second, 'reject'), ErrorCode.FRIEND_REQUEST_EXPIRED, 400);
      expect(await friendIds(asked)).to.deep.equal([]);
      // An expired request neither blocks a new one nor is accepted by a request the other way.
      const reverse = await send(asked, asker);
      expect(reverse.body.data.status).to.equal('pending');
    });

    it('limits how fast one user sends requests', async () => {
      const [spammer, other] = await Promise.all([register(), register()]);
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++) statuses.push((await send(spammer, '123456789012345678')).status);
      expect(statuses.slice(0, 20).every((status) => status === 404)).to.equal(true);
      const limited = await send(spammer, other);
      expectCode(limited, ErrorCode.TOO_MANY_REQUESTS, 429);
      expect(limited.headers.get('retry-after')).to.match(/^[0-9]+$/);
      // Others are not affected.
      expect((await send(other, spammer)).status).to.equal(200);
    });
  },
  {
    FRIEND_MAX_FRIENDS: '2',
    FRIEND_MAX_BLACKLIST: '1',
    FRIEND_REQUEST_TTL_SECONDS: '3',
    FRIEND_REQUEST_RESEND_SECONDS: '1',
    RATE_LIMIT_FACTOR: '1',
  },
);

/**
 * A platform on its own bus and invoker, so that a test can watch what the friend service
 * publishes, call its internal methods, and write presence as a gateway does.
 */
interface ObservedPlatform {
  host: Host;
  api: ApiClient;
  invoker: EmbeddedInvoker;
  events: TimelineAppendRequested[];
  presence: PresenceRegistry;
  friendOrm: MikroORM;
  stop(): Promise<void>;
}

async function startObserved(backendName: 'postgresql' | 'pglite'): Promise<ObservedPlatform> {
  const cleanups: Array<() => Promise<unknown>> = [];
  let databaseUrl: string;
  if (backendName === 'postgresql') {
    const backend = await createBackend('postgresql');
    cleanups.push(() => backend.dispose());
    databaseUrl = backend.env.DATABASE_URL!;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'anychat-friend-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const embedded = await startEmbeddedPostgres(dir);
    cleanups.push(() => embedded.stop());
    databaseUrl = embedded.url;
  }
  const stop = async () => {
    for (const step of cleanups.reverse()) await step();
  };
  try {
    const config = testConfig({ ANYCHAT_ADAPTER: 'embedded', DATABASE_URL: databaseUrl });
    const logger = createLogger(config.logLevel);
    const bus = new EmbeddedBus(logger);
    cleanups.push(async () => bus.close());
    const events: TimelineAppendRequested[] = [];
    bus.subscribe(
      'test-observer',
      eventSubscription({
        pubsubName: config.dapr.pubsubName,
        topic: TimelineTopics.append,
        logger,
        handle: async (event) => events.push(event),
      }),
    );
    const invoker = new EmbeddedInvoker();
    const host = await startHost({ config, logger, bus, invoker });
    cleanups.push(() => host.stop());
    const open = (schema: string) =>
      openServiceDatabase({
        url: databaseUrl,
        schema,
        entities: schema === 'friend' ? friendEntities : [],
        migrations: [],
        poolMax: 2,
        logger,
      });
    const platformOrm = await open('platform');
    cleanups.push(() => platformOrm.close());
    const friendOrm = await open('friend');
    cleanups.push(() => friendOrm.close());
    const shared = new PostgresStatePort(sqlExecutor(platformOrm), () => '').store(
      config.dapr.sharedStateStoreName,
    );
    const presence = new PresenceRegistry(shared, { entryTtlSeconds: config.gateway.presenceTtlSeconds });
    return { host, api: new ApiClient(host.url), invoker, events, presence, friendOrm, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

for (const backendName of ['postgresql', 'pglite'] as const) {
  describe(`friend notifications, presence and internal methods [${backendName}]`, function () {
    this.timeout(60_000);
    let observed: ObservedPlatform | undefined;
    const platform = () => {
      if (!observed) throw new Error('platform not started');
      return observed;
    };
    before(async function () {
      if (backendName === 'postgresql') await requirePostgres(this);
      observed = await startObserved(backendName);
    });
    after(async () => {
      await observed?.stop();
    });
    const api = () => platform().api;
    const { register, send, handle, friends, befriend, noVerify } = calls(api);

    /** Events published since `mark`, once every delivery has settled. */
    const eventsAfter = async (mark: number) => {
      await platform().host.settled();
      return platform().events.slice(mark);
    };
    const deviceOf = (user: User) => ({ userId: user.userId, deviceId: `web-${user.account}` });

    it('tells the people concerned of every change, and never tells anyone they were blacklisted', async () => {
      const alice = await register('Alice N');
      const bob = await register('Bob N');
      let mark = platform().events.length;
      const { requestId } = (await send(alice, bob, { message: 'hi Bob', source: 'search' })).body.data;
      let events = await eventsAfter(mark);
      expect(events).to.have.length(1);
      expect(events[0]).to.deep.include({ kind: 'friend.request.received', recipients: [bob.userId] });
      expect(events[0]!.payload).to.deep.include({
        requestId,
        fromUserId: alice.userId,
        toUserId: bob.userId,
        message: 'hi Bob',
        source: 'search',
      });
      expect(events[0]!.payload?.fromUser).to.deep.include({ userId: alice.userId, nickname: 'Alice N' });
      expect(events[0]!.eventId).to.be.a('string');

      mark = platform().events.length;
      await handle(bob, requestId, 'accept');
      events = await eventsAfter(mark);
      expect(events.map((e) => [e.kind, sorted(...e.recipients)])).to.deep.equal([
        ['friend.request.accepted', sorted(alice.userId, bob.userId)],
      ]);
      expect(events[0]!.originDevice).to.deep.include(deviceOf(bob));
      expect(events[0]!.payload).to.include({ requestId, fromUserId: alice.userId, toUserId: bob.userId });

      mark = platform().events.length;
      await api().ok('PUT', `/api/v1/friends/${bob.userId}/remark`, {
        token: alice.accessToken,
        body: { remark: 'B' },
      });
      await api().ok('PUT', `/api/v1/friends/${bob.userId}/settings`, {
        token: alice.accessToken,
        body: { isStarred: true },
      });
      const category = await api().ok<CategoryDto>('POST', '/api/v1/friends/categories', {
        token: alice.accessToken,
        body: { name: 'Pals' },
      });
      await api().ok('PUT', `/api/v1/friends/${bob.userId}/category`, {
        token: alice.accessToken,
        body: { categoryId: category.categoryId },
      });
      await api().ok('PUT', `/api/v1/friends/categories/${category.categoryId}`, {
        token: alice.accessToken,
        body: { name: 'Buddies' },
      });
      await api().ok('DELETE', `/api/v1/friends/categories/${category.categoryId}`, {
        token: alice.accessToken,
      });
      await api().ok('POST', '/api/v1/friends/blacklist', {
        token: alice.accessToken,
        body: { userId: bob.userId },
      });
      await api().ok('DELETE', `/api/v1/friends/blacklist/${bob.userId}`, { token: alice.accessToken });
      events = await eventsAfter(mark);
      // All of these are Alice's own: only her (other) devices hear of them.
      for (const event of events) {
        expect(event.recipients, event.kind).to.deep.equal([alice.userId]);
        expect(event.originDevice, event.kind).to.deep.include(deviceOf(alice));
      }
      const summary = events.map((e) => [e.kind, e.payload?.action ?? e.payload?.changed]);
      expect(summary).to.have.deep.members([
        ['friend.updated', ['remark']],
        ['friend.updated', ['isStarred']],
        ['friend.category.changed', 'created'],
        ['friend.updated', ['categoryId']],
        ['friend.category.changed', 'renamed'],
        ['friend.category.changed', 'deleted'],
        ['friend.blacklist.changed', 'added'],
        ['friend.blacklist.changed', 'removed'],
      ]);
      expect(
        events.find((e) => e.kind === 'friend.updated' && e.payload?.remark === 'B')?.payload,
      ).to.include({
        friendId: bob.userId,
        remark: 'B',
      });
      expect(events.find((e) => e.payload?.action === 'added')?.payload).to.include({ userId: bob.userId });
      expect(events.find((e) => e.payload?.action === 'deleted')?.payload?.movedFriendIds).to.deep.equal([
        bob.userId,
      ]);

      mark = platform().events.length;
      await api().ok('DELETE', `/api/v1/friends/${alice.userId}`, { token: bob.accessToken });
      events = await eventsAfter(mark);
      expect(events.map((e) => [e.kind, sorted(...e.recipients)])).to.deep.equal([
        ['friend.deleted', sorted(alice.userId, bob.userId)],
      ]);
      expect(events[0]!.payload).to.deep.equal({ userId: bob.userId, friendId: alice.userId });
      expect(events[0]!.originDevice).to.deep.include(deviceOf(bob));

      mark = platform().events.length;
      const again = (await send(alice, bob)).body.data.requestId;
      await handle(bob, again, 'reject');
      events = await eventsAfter(mark);
      expect(events.map((e) => [e.kind, sorted(...e.recipients)])).to.deep.equal([
        ['friend.request.received', [bob.userId]],
        ['friend.request.rejected', sorted(alice.userId, bob.userId)],
      ]);

      const carol = await register();
      await noVerify(carol);
      mark = platform().events.length;
      const instant = (await send(alice, carol)).body.data.requestId;
      events = await eventsAfter(mark);
      expect(events.map((e) => [e.kind, sorted(...e.recipients)])).to.deep.equal([
        ['friend.added', sorted(alice.userId, carol.userId)],
      ]);
      expect(events[0]!.payload).to.include({
        requestId: instant,
        fromUserId: alice.userId,
        toUserId: carol.userId,
      });
      expect(new Set(platform().events.map((e) => e.eventId)).size).to.equal(platform().events.length);
      // Everything was published: nothing is left in the outbox (rows go in batches, shortly after).
      expect(await outboxRowsAfterSettling(platform().friendOrm)).to.equal(0);
    });

    it("moves a friend's row in everyone's list when their profile changes, and tells them", async () => {
      const alice = await register();
      const bob = await register('Before');
      const carol = await register();
      await befriend(alice, bob);
      await befriend(carol, bob);
      const aliceCursor = (await friends(alice)).updateTime;
      const mark = platform().events.length;
      await api().ok('PUT', '/api/v1/users/me', {
        token: bob.accessToken,
        body: { nickname: 'After', signature: 'new' },
      });
      const events = await eventsAfter(mark);
      const changed = events.filter((e) => e.kind === 'friend.profile.changed');
      expect(changed).to.have.length(1);
      expect(sorted(...changed[0]!.recipients)).to.deep.equal(sorted(alice.userId, carol.userId));
      expect(changed[0]!.payload).to.deep.include({ friendId: bob.userId });
      const changes = await friends(alice, `?lastUpdateTime=${aliceCursor}`);
      expect(changes.friends).to.have.length(1);
      expect(changes.friends[0]).to.include({ userId: bob.userId, nickname: 'After', signature: 'new' });
      // A change that friend lists do not show moves nothing.
      const cursor = changes.updateTime;
      await api().ok('PUT', '/api/v1/users/me', { token: bob.accessToken, body: { region: 'Hangzhou' } });
      await platform().host.settled();
      expect((await friends(alice, `?lastUpdateTime=${cursor}`)).friends).to.deep.equal([]);
    });

    it('shows which friends are online, on which platforms, from the presence registry', async () => {
      const alice = await register();
      const bob = await register();
      await befriend(alice, bob);
      const offline = (await friends(alice)).friends[0] as FriendDto;
      expect(offline).to.include({ online: false, lastActiveTime: null });
      await platform().presence.connect(bob.userId, 'gw-test', { deviceId: 'phone-1', platform: 'iOS' });
      await platform().presence.connect(bob.userId, 'gw-test', { deviceId: 'web-1', platform: 'Web' });
      const online = (await friends(alice)).friends[0] as FriendDto;
      expect(online.online).to.equal(true);
      expect(online.platforms.sort()).to.deep.equal(['Web', 'iOS']);
      expect(Math.abs(Date.parse(online.lastActiveTime!) - Date.now())).to.be.below(60_000);
      await platform().presence.disconnect(bob.userId, 'gw-test', 'phone-1');
      await platform().presence.disconnect(bob.userId, 'gw-test', 'web-1');
      const gone = (await friends(alice)).friends[0] as FriendDto;
      expect(gone).to.include({ online: false });
      expect(gone.platforms).to.deep.equal([]);
      expect(gone.lastActiveTime).to.be.a('string');
    });

    it('answers the internal relation and friend-id methods, and validates their input', async () => {
      const alice = await register();
      const bob = await register();
      const carol = await register();
      await befriend(alice, bob);
      await befriend(alice, carol);
      await api().ok('POST', '/api/v1/friends/blacklist', {
        token: bob.accessToken,
        body: { userId: alice.userId },
      });
      const { invoker } = platform();
      const relation = async (userId: string, peerId: string) => {
        const { isFriend, blockedByPeer, blocking } = await invoker.call(FriendService.method.getRelation, {
          userId,
          peerId,
        });
        return { isFriend, blockedByPeer, blocking };
      };
      expect(
        (await invoker.call(FriendService.method.listFriendIds, { userId: alice.userId })).friendIds,
      ).to.deep.equal([bob.userId, carol.userId].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
      expect(await relation(alice.userId, bob.userId)).to.deep.equal({
        isFriend: true,
        blockedByPeer: true,
        blocking: false,
      });
      expect(await relation(bob.userId, alice.userId)).to.deep.equal({
        isFriend: true,
        blockedByPeer: false,
        blocking: true,
      });
      expect(await relation(bob.userId, carol.userId)).to.deep.equal({
        isFriend: false,
        blockedByPeer: false,
        blocking: false,
      });
      // Many pairs at once: one answer per pair, in the order asked, oneself in no relation.
      const pairs = [
        { userId: bob.userId, peerId: carol.userId },
        { userId: alice.userId, peerId: bob.userId },
        { userId: carol.userId, peerId: carol.userId },
        { userId: bob.userId, peerId: alice.userId },
      ];
      const { relations } = await invoker.call(FriendService.method.getPairRelations, { pairs });
      expect(
        relations.map(({ isFriend, blockedByPeer, blocking }) => ({ isFriend, blockedByPeer, blocking })),
      ).to.deep.equal([
        await relation(bob.userId, carol.userId),
        await relation(alice.userId, bob.userId),
        { isFriend: false, blockedByPeer: false, blocking: false },
        await relation(bob.userId, alice.userId),
      ]);
      // Fields left unset read as empty ids, which the callee's schema refuses.
      for (const call of [
        () => invoker.call(FriendService.method.getRelation, { userId: alice.userId }),
        () => invoker.call(FriendService.method.getRelation, { userId: 'x', peerId: bob.userId }),
        () => invoker.call(FriendService.method.listFriendIds, {}),
        () => invoker.call(FriendService.method.getRelations, { userId: alice.userId, peerIds: ['1', 'y'] }),
        () => invoker.call(FriendService.method.getPairRelations, { pairs: [{ userId: alice.userId }] }),
        () =>
          invoker.call(FriendService.method.getPairRelations, {
            pairs: Array.from({ length: 501 }, () => ({ userId: alice.userId, peerId: bob.userId })),
          }),
      ]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, String(call)).to.be.instanceOf(AppError);
        expect((error as AppError).code).to.equal(ErrorCode.INVALID_PARAMS);
      }
    });

    it('keeps notifications it could not publish in the outbox until the sweep publishes them', async () => {
      const orm = platform().friendOrm;
      // The platform's own outbox has nothing pending that this test's sweeps could pick up.
      expect(await outboxRowsAfterSettling(orm)).to.equal(0);
      const published: unknown[] = [];
      let failing = true;
      const pubsub: PubSubPort = {
        async publish(_name, _topic, data) {
          if (failing) throw new Error('broker down');
          published.push(data);
        },
      };
      const outbox = new Outbox({
        sql: sqlExecutor(orm),
        schema: 'friend',
        pubsub,
        pubsubName: 'pubsub',
        ids: new SnowflakeGenerator(1000),
        logger: createLogger('silent'),
      });
      const topic = eventTopic('test.outbox', GroupChangedSchema);
      const stored = await orm.em
        .fork()
        .transactional((tx) =>
          outbox.store(sqlExecutorOf(tx), [
            outboxEvent(topic, { groupId: '1', kind: 'first' }),
            outboxEvent(topic, { groupId: '2', kind: 'second' }),
          ]),
        );
      expect(await outbox.publish(stored)).to.equal(0);
      const count = async () =>
        Number(
          (
            await orm.em
              .fork()
              .execute('select count(*) as n from "friend"."outbox" where "topic" = ?', [topic])
          )[0]!.n,
        );
      expect(await count()).to.equal(2);
      expect(await outbox.sweep(0)).to.equal(0);
      expect(await count()).to.equal(2);
      failing = false;
      expect(await outbox.sweep(60_000)).to.equal(0); // too young for the sweep
      expect(await outbox.sweep(0)).to.equal(2);
      expect(published).to.have.deep.members([
        { groupId: '1', kind: 'first' },
        { groupId: '2', kind: 'second' },
      ]);
      expect(await count()).to.equal(0);
    });
  });
}

/** Rows left in the friend outbox once published rows had time to be deleted (they go in batches). */
async function outboxRowsAfterSettling(orm: MikroORM): Promise<number> {
  let rows = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 20 && rows > 0; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    rows = Number((await orm.em.fork().execute('select count(*) as n from "friend"."outbox"'))[0]!.n);
  }
  return rows;
}
