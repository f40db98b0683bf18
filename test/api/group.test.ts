import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { expect } from 'chai';
import { GroupDirectory } from '../../services/message/clients/groups.ts';
import type { GroupChanged } from '../../services/platform/contracts/gen/anychat/group/v1/events_pb.ts';
import { GroupService } from '../../services/platform/contracts/gen/anychat/group/v1/group_pb.ts';
import type {
  SystemMessageRequested,
  TimelineAppendRequested,
} from '../../services/platform/contracts/gen/anychat/message/v1/events_pb.ts';
import {
  GroupTopics,
  SYSTEM_MESSAGE_TEXT_MAX,
  SystemMessageTopic,
  TimelineTopics,
} from '../../services/platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../services/platform/errors.ts';
import { eventSubscription, type Topic } from '../../services/platform/events/index.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { type ApiResponse, registerUser, type SignedIn } from '../support/api-client.ts';
import { befriend } from '../support/chat.ts';
import { forEachBackend, type TestPlatform } from '../support/platform.ts';

type User = SignedIn & { account: string };

interface GroupDto {
  groupId: string;
  name: string;
  avatar: string | null;
  memberCount: number;
  maxMembers: number;
  joinVerify: boolean;
  dismissed: boolean;
  createdAt: string;
  isMember: boolean;
  ownerId: string | null;
  announcement: string | null;
  isMuted: boolean | null;
  settings: Record<string, boolean> | null;
  me: { role: string; groupNickname: string | null; isMuted: boolean; mutedUntil: string | null } | null;
}

interface CreatedDto extends GroupDto {
  successIds: string[];
  invitedIds: string[];
  failedIds: string[];
  failures: Array<{ userId: string; code: number; reason: string }>;
}

interface MemberDto {
  userId: string;
  nickname: string;
  groupNickname: string | null;
  role: string;
  isMuted: boolean;
  mutedUntil: string | null;
}

interface GroupList {
  groups: Array<
    | (GroupDto & { status: 'active'; updateTime: number })
    | { groupId: string; status: string; updateTime: number }
  >;
  total: number;
  updateTime: number;
  hasMore: boolean;
}

const MAX_MEMBERS = 8;
const QR_TTL_SECONDS = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sorted = (ids: string[]) => [...ids].sort();

/** Everything the group service publishes, as a subscriber of another app sees it. */
function observe(platform: () => TestPlatform) {
  const timeline: TimelineAppendRequested[] = [];
  const system: SystemMessageRequested[] = [];
  const changed: GroupChanged[] = [];
  const stops: Array<() => void> = [];
  before(() => {
    const { bus, pubsubName } = platform();
    const logger = createLogger('silent');
    const watch = <Desc extends DescMessage>(topic: Topic<Desc>, into: MessageShape<Desc>[]) =>
      stops.push(
        bus.subscribe(
          'test-observer',
          eventSubscription({ pubsubName, topic, logger, handle: async (message) => into.push(message) }),
        ),
      );
    watch(TimelineTopics.append, timeline);
    watch(SystemMessageTopic, system);
    watch(GroupTopics.changed, changed);
  });
  after(() => {
    for (const stop of stops) stop();
  });
  const until = async <T>(list: T[], match: (item: T) => boolean): Promise<T> => {
    for (let i = 0; i < 100; i++) {
      const found = list.find(match);
      if (found) return found;
      await sleep(20);
    }
    throw new Error('event not published');
  };
  return { timeline, system, changed, until };
}

forEachBackend(
  'groups over HTTP',
  (platform) => {
    const api = () => platform().api;
    const events = observe(platform);
    const register = (nickname?: string): Promise<User> =>
      registerUser(api(), nickname ? { nickname } : {}) as Promise<User>;
    const call = <T = unknown>(user: User, method: string, path: string, body?: unknown) =>
      api().call<T>(method, `/api/v1/groups${path}`, {
        token: user.accessToken,
        ...(body === undefined ? {} : { body }),
      });
    const ok = async <T = unknown>(user: User, method: string, path: string, body?: unknown): Promise<T> => {
      const response = await call<T>(user, method, path, body);
      expect(response.body.code, `${method} ${path}: ${JSON.stringify(response.body)}`).to.equal(0);
      return response.body.data;
    };
    const expectCode = (response: ApiResponse, code: number, status: number) => {
      expect(response.body.code, JSON.stringify(response.body)).to.equal(code);
      expect(response.status).to.equal(status);
    };
    const friendships = new Set<string>();
    /** Makes the owner friends with each of these users (once per pair): friends are added directly. */
    const befriendAll = async (owner: User, users: User[]) => {
      for (const user of users) {
        if (friendships.has(`${owner.userId}:${user.userId}`)) continue;
        await befriend(api(), owner, user);
        friendships.add(`${owner.userId}:${user.userId}`).add(`${user.userId}:${owner.userId}`);
      }
    };
    /** Creates a group of the owner's friends (strangers would be invited, not added). */
    const create = async (owner: User, members: User[], extra: Record<string, unknown> = {}) => {
      await befriendAll(owner, members);
      return ok<CreatedDto>(owner, 'POST', '', {
        name: 'Team',
        memberIds: members.map((u) => u.userId),
        ...extra,
      });
    };
    const members = async (user: User, groupId: string, query = '') =>
      (await ok<{ total: number; members: MemberDto[] }>(user, 'GET', `/${groupId}/members${query}`)).members;
    const memberIds = async (user: User, groupId: string) =>
      sorted((await members(user, groupId)).map((m) => m.userId));
    // The message path's client of the group service, fresh each time (it caches what it reads).
    const groupsClient = () => new GroupDirectory(platform().invoker);
    const sendContext = (groupId: string, userId: string) => groupsClient().context(groupId, userId);

    describe('creating and reading', () => {
      it('creates a group, reporting users who blacklisted the creator or do not exist', async () => {
        const owner = await register('Olivia');
        const [a, b, blocker] = [await register('Ann'), await register('Ben'), await register('Bo')];
        await api().ok('POST', '/api/v1/friends/blacklist', {
          token: blocker.accessToken,
          body: { userId: owner.userId },
        });
        await befriendAll(owner, [a, b]);
        const unknown = '123456789012345678';
        const created = await ok<CreatedDto>(owner, 'POST', '', {
          name: '  Weekend hikers ',
          avatar: 'https://example.com/a.png',
          memberIds: [a.userId, b.userId, blocker.userId, unknown, owner.userId, a.userId],
        });
        expect(created).to.include({
          name: 'Weekend hikers',
          avatar: 'https://example.com/a.png',
          ownerId: owner.userId,
          memberCount: 3,
          maxMembers: MAX_MEMBERS,
          joinVerify: true,
          dismissed: false,
          isMember: true,
        });
        expect(sorted(created.successIds)).to.deep.equal(sorted([a.userId, b.userId]));
        expect(created.invitedIds).to.deep.equal([]);
        expect(sorted(created.failedIds)).to.deep.equal(sorted([blocker.userId, unknown]));
        expect(created.failures).to.deep.include({
          userId: blocker.userId,
          code: ErrorCode.BLOCKED_BY_PEER,
          reason: 'blocked',
        });
        expect(created.failures).to.deep.include({
          userId: unknown,
          code: ErrorCode.USER_NOT_FOUND,
          reason: 'user_not_found',
        });
        expect(created.me).to.include({ role: 'owner', groupNickname: null, isMuted: false });
        expect(created.settings).to.deep.equal({
          allMuted: false,
          memberInvite: true,
          joinVerify: true,
          historyVisible: true,
          memberAddFriend: true,
        });

        const list = await members(a, created.groupId);
        expect(list.map((m) => [m.userId, m.role, m.nickname])).to.deep.equal([
          [owner.userId, 'owner', 'Olivia'],
          ...[
            [a.userId, 'member', 'Ann'],
            [b.userId, 'member', 'Ben'],
          ].sort((x, y) => (BigInt(x[0]!) < BigInt(y[0]!) ? -1 : 1)),
        ]);
        // A member sees everything; an outsider only the public part.
        const seen = await ok<GroupDto>(b, 'GET', `/${created.groupId}`);
        expect(seen).to.include({ isMember: true, ownerId: owner.userId, memberCount: 3 });
        expect(seen.me?.role).to.equal('member');
        const outsider = await register();
        const publicView = await ok<GroupDto>(outsider, 'GET', `/${created.groupId}`);
        expect(publicView).to.include({
          name: 'Weekend hikers',
          memberCount: 3,
          isMember: false,
          ownerId: null,
          announcement: null,
          settings: null,
          me: null,
        });
        expectCode(await call(outsider, 'GET', '/999999999999'), ErrorCode.GROUP_NOT_FOUND, 404);

        // Notifications: timeline to every member, a system message, a cache invalidation.
        const note = await events.until(
          events.timeline,
          (e) => e.kind === 'group.created' && e.payload?.groupId === created.groupId,
        );
        expect(sorted(note.recipients)).to.deep.equal(sorted([owner.userId, a.userId, b.userId]));
        expect(note.originDevice?.userId).to.equal(owner.userId);
        const message = await events.until(
          events.system,
          (e) => e.kind === 'group.created' && e.groupId === created.groupId,
        );
        expect(sorted(message.recipients)).to.deep.equal(sorted([owner.userId, a.userId, b.userId]));
        expect(message.text).to.contain('Olivia');
        expect(message.eventId).to.be.a('string');
        await events.until(
          events.changed,
          (e) => e.groupId === created.groupId && e.kind === 'group.created',
        );
      });

      it('needs at least 2 members besides the owner (40103), counted after refusals', async () => {
        const owner = await register();
        const a = await register();
        const blocker = await register();
        expectCode(
          await call(owner, 'POST', '', { name: 'x', memberIds: [a.userId] }),
          ErrorCode.GROUP_TOO_FEW_MEMBERS,
          400,
        );
        expectCode(
          await call(owner, 'POST', '', { name: 'x', memberIds: [a.userId, owner.userId] }),
          ErrorCode.GROUP_TOO_FEW_MEMBERS,
          400,
        );
        await api().ok('POST', '/api/v1/friends/blacklist', {
          token: blocker.accessToken,
          body: { userId: owner.userId },
        });
        const refused = await call<null>(owner, 'POST', '', {
          name: 'x',
          memberIds: [a.userId, blocker.userId],
        });
        expectCode(refused, ErrorCode.GROUP_TOO_FEW_MEMBERS, 400);
      });

      it(`refuses more than GROUP_MAX_MEMBERS (${MAX_MEMBERS}) members with 40104`, async () => {
        const owner = await register();
        const users: User[] = [];
        for (let i = 0; i < MAX_MEMBERS; i++) users.push(await register());
        expectCode(
          await call(owner, 'POST', '', { name: 'big', memberIds: users.map((u) => u.userId) }),
          ErrorCode.GROUP_FULL,
          400,
        );
        const group = await create(owner, users.slice(0, MAX_MEMBERS - 1));
        expect(group.memberCount).to.equal(MAX_MEMBERS);
        expect(group.maxMembers).to.equal(MAX_MEMBERS);
        const last = users[MAX_MEMBERS - 1]!;
        expectCode(
          await call(owner, 'POST', `/${group.groupId}/members`, { userIds: [last.userId] }),
          ErrorCode.GROUP_FULL,
          400,
        );
        await ok(owner, 'PUT', `/${group.groupId}/settings`, { joinVerify: false });
        expectCode(await call(last, 'POST', `/${group.groupId}/join`, {}), ErrorCode.GROUP_FULL, 400);
        // Room again once someone leaves.
        await ok(users[0]!, 'POST', `/${group.groupId}/exit`);
        expect(await ok(last, 'POST', `/${group.groupId}/join`, {})).to.include({ status: 'joined' });
      });
    });

    describe('permission matrix', () => {
      type Role = 'owner' | 'admin' | 'member' | 'outsider' | 'removed';
      const ROLES: Role[] = ['owner', 'admin', 'member', 'outsider', 'removed'];
      let cast: Record<Role | 'plain' | 'deputy' | 'guest', User>;

      before(async () => {
        cast = {
          owner: await register('Owner'),
          admin: await register('Admin'),
          member: await register('Member'),
          outsider: await register('Outsider'),
          removed: await register('Removed'),
          plain: await register('Plain'),
          deputy: await register('Deputy'),
          guest: await register('Guest'),
        };
      });

      /** A fresh group: owner, admins (admin, deputy), plain members (member, plain); `removed` was removed. */
      const setup = async () => {
        const { owner, admin, member, removed, plain, deputy } = cast;
        const group = await create(owner, [admin, member, removed, plain, deputy]);
        const id = group.groupId;
        await ok(owner, 'POST', `/${id}/admins`, { userId: admin.userId });
        await ok(owner, 'POST', `/${id}/admins`, { userId: deputy.userId });
        await ok(owner, 'DELETE', `/${id}/members/${removed.userId}`);
        return id;
      };

      const F = ErrorCode;
      const NM = { outsider: F.GROUP_NOT_MEMBER, removed: F.GROUP_NOT_MEMBER };
      const adminOnly = { owner: 0, admin: 0, member: F.GROUP_NOT_ADMIN, ...NM };
      const ownerOnly = { owner: 0, admin: F.GROUP_NOT_OWNER, member: F.GROUP_NOT_OWNER, ...NM };
      const actions: Array<{
        name: string;
        expected: Record<Role, number>;
        prepare?: (id: string) => Promise<unknown>;
        act: (actor: User, id: string) => Promise<ApiResponse>;
      }> = [
        {
          name: 'update info',
          expected: adminOnly,
          act: (u, id) => call(u, 'PUT', `/${id}`, { name: 'Renamed' }),
        },
        {
          name: 'announcement',
          expected: adminOnly,
          act: (u, id) => call(u, 'PUT', `/${id}`, { announcement: 'Meeting at 10' }),
        },
        {
          name: 'settings',
          expected: adminOnly,
          act: (u, id) => call(u, 'PUT', `/${id}/settings`, { allMuted: true }),
        },
        {
          name: 'invite when member invites are off',
          expected: adminOnly,
          prepare: (id) => ok(cast.owner, 'PUT', `/${id}/settings`, { memberInvite: false }),
          act: (u, id) => call(u, 'POST', `/${id}/members`, { userIds: [cast.guest.userId] }),
        },
        {
          name: 'remove member',
          expected: adminOnly,
          act: (u, id) => call(u, 'DELETE', `/${id}/members/${cast.plain.userId}`),
        },
        {
          name: 'remove admin',
          expected: { ...adminOnly, admin: F.GROUP_CANNOT_REMOVE_ADMIN },
          act: (u, id) => call(u, 'DELETE', `/${id}/members/${cast.deputy.userId}`),
        },
        {
          name: 'set admin',
          expected: ownerOnly,
          act: (u, id) => call(u, 'POST', `/${id}/admins`, { userId: cast.plain.userId }),
        },
        {
          name: 'unset admin',
          expected: ownerOnly,
          act: (u, id) => call(u, 'DELETE', `/${id}/admins/${cast.deputy.userId}`),
        },
        {
          name: 'transfer',
          expected: ownerOnly,
          act: (u, id) => call(u, 'POST', `/${id}/transfer`, { userId: cast.plain.userId }),
        },
        { name: 'dismiss', expected: ownerOnly, act: (u, id) => call(u, 'DELETE', `/${id}`) },
        {
          name: 'mute member',
          expected: adminOnly,
          act: (u, id) => call(u, 'PUT', `/${id}/members/${cast.plain.userId}/mute`, { seconds: 60 }),
        },
        {
          name: 'approve join request',
          expected: adminOnly,
          prepare: async (id) =>
            (await ok<{ requestId: string }>(cast.guest, 'POST', `/${id}/join`, { message: 'let me in' }))
              .requestId,
          act: async (u, id) => {
            const pending = await ok<{ requests: Array<{ requestId: string }> }>(
              cast.owner,
              'GET',
              `/${id}/join`,
            );
            return call(u, 'PUT', `/${id}/join/${pending.requests[0]!.requestId}`, { action: 'accept' });
          },
        },
        {
          name: 'list members',
          expected: { owner: 0, admin: 0, member: 0, ...NM },
          act: (u, id) => call(u, 'GET', `/${id}/members`),
        },
      ];

      for (const action of actions) {
        it(`${action.name}: ${ROLES.map((r) => `${r} ${action.expected[r] || 'ok'}`).join(', ')}`, async () => {
          for (const role of ROLES) {
            const id = await setup();
            await action.prepare?.(id);
            const response = await action.act(cast[role], id);
            const code = action.expected[role];
            expect(
              response.body.code,
              `${action.name} as ${role}: ${JSON.stringify(response.body)}`,
            ).to.equal(code);
            expect(response.status).to.equal(code === 0 ? 200 : code === F.GROUP_NOT_FOUND ? 404 : 403);
          }
        });
      }

      it('never touches the owner: removing or muting him is 40109, and he cannot leave (40116)', async () => {
        const id = await setup();
        const { owner, admin } = cast;
        expectCode(
          await call(owner, 'DELETE', `/${id}/members/${owner.userId}`),
          ErrorCode.GROUP_CANNOT_REMOVE_OWNER,
          403,
        );
        expectCode(
          await call(admin, 'DELETE', `/${id}/members/${owner.userId}`),
          ErrorCode.GROUP_CANNOT_REMOVE_OWNER,
          403,
        );
        expectCode(
          await call(admin, 'PUT', `/${id}/members/${owner.userId}/mute`, { seconds: 60 }),
          ErrorCode.GROUP_CANNOT_REMOVE_OWNER,
          403,
        );
        expectCode(
          await call(admin, 'PUT', `/${id}/members/${cast.deputy.userId}/mute`, { seconds: 60 }),
          ErrorCode.GROUP_CANNOT_REMOVE_ADMIN,
          403,
        );
        expectCode(await call(owner, 'POST', `/${id}/exit`), ErrorCode.GROUP_OWNER_CANNOT_EXIT, 400);
        expectCode(
          await call(owner, 'DELETE', `/${id}/members/${cast.outsider.userId}`),
          ErrorCode.GROUP_NOT_MEMBER,
          403,
        );
        expectCode(
          await call(owner, 'POST', `/${id}/transfer`, { userId: cast.outsider.userId }),
          ErrorCode.GROUP_NOT_MEMBER,
          403,
        );
      });

      it('transfer to oneself: owner-only first (40107 for an admin or member, 40105 for an outsider), then 000001 for the owner', async () => {
        const id = await setup();
        const { owner, admin, member, outsider } = cast;
        const toSelf = (user: User) => call(user, 'POST', `/${id}/transfer`, { userId: user.userId });
        expectCode(await toSelf(admin), ErrorCode.GROUP_NOT_OWNER, 403);
        expectCode(await toSelf(member), ErrorCode.GROUP_NOT_OWNER, 403);
        expectCode(await toSelf(outsider), ErrorCode.GROUP_NOT_MEMBER, 403);
        expectCode(await toSelf(owner), ErrorCode.INVALID_PARAMS, 400);
        // Nothing changed hands.
        expect((await ok<{ ownerId: string }>(owner, 'GET', `/${id}`)).ownerId).to.equal(owner.userId);
      });
    });

    describe('joining', () => {
      it('asks to join while verification is on; owner and admins list and handle requests', async () => {
        const owner = await register();
        const [a, b] = [await register(), await register()];
        const applicant = await register('Applicant');
        const other = await register();
        const { groupId } = await create(owner, [a, b]);
        await ok(owner, 'POST', `/${groupId}/admins`, { userId: a.userId });

        const asked = await ok<{ status: string; requestId: string }>(applicant, 'POST', `/${groupId}/join`, {
          message: 'hello there',
        });
        expect(asked.status).to.equal('pending');
        // Asking again refreshes the same request.
        const again = await ok<{ requestId: string }>(applicant, 'POST', `/${groupId}/join`, {
          message: 'please',
        });
        expect(again.requestId).to.equal(asked.requestId);
        const requested = await events.until(
          events.timeline,
          (e) => e.kind === 'group.join.requested' && e.payload?.requestId === asked.requestId,
        );
        expect(sorted(requested.recipients)).to.deep.equal(sorted([owner.userId, a.userId]));

        const pending = await ok<{ total: number; requests: Array<Record<string, unknown>> }>(
          a,
          'GET',
          `/${groupId}/join`,
        );
        expect(pending.total).to.equal(1);
        expect(pending.requests[0]).to.include({
          requestId: asked.requestId,
          message: 'please',
          status: 'pending',
        });
        expect(pending.requests[0]!.user).to.include({ userId: applicant.userId, nickname: 'Applicant' });
        expectCode(await call(b, 'GET', `/${groupId}/join`), ErrorCode.GROUP_NOT_ADMIN, 403);
        expectCode(await call(applicant, 'GET', `/${groupId}/members`), ErrorCode.GROUP_NOT_MEMBER, 403);

        expect(await ok(a, 'PUT', `/${groupId}/join/${asked.requestId}`, { action: 'accept' })).to.deep.equal(
          {
            requestId: asked.requestId,
            status: 'accepted',
          },
        );
        expect(await memberIds(owner, groupId)).to.deep.equal(
          sorted([owner.userId, a.userId, b.userId, applicant.userId]),
        );
        expectCode(
          await call(owner, 'PUT', `/${groupId}/join/${asked.requestId}`, { action: 'reject' }),
          ErrorCode.GROUP_JOIN_REQUEST_HANDLED,
          400,
        );
        expectCode(
          await call(owner, 'PUT', `/${groupId}/join/999999999999`, { action: 'accept' }),
          ErrorCode.GROUP_JOIN_REQUEST_NOT_FOUND,
          404,
        );
        expectCode(
          await call(applicant, 'POST', `/${groupId}/join`, {}),
          ErrorCode.GROUP_ALREADY_MEMBER,
          400,
        );
        const handled = await events.until(
          events.timeline,
          (e) => e.kind === 'group.join.handled' && e.payload?.requestId === asked.requestId,
        );
        expect(handled.recipients).to.include(applicant.userId);
        await events.until(
          events.system,
          (e) =>
            e.kind === 'group.member.joined' &&
            e.groupId === groupId &&
            ((e.data?.userIds ?? []) as string[]).includes(applicant.userId),
        );

        const second = await ok<{ requestId: string }>(other, 'POST', `/${groupId}/join`, {});
        expect(
          await ok(owner, 'PUT', `/${groupId}/join/${second.requestId}`, { action: 'reject' }),
        ).to.include({
          status: 'rejected',
        });
        expect((await ok<{ total: number }>(owner, 'GET', `/${groupId}/join`)).total).to.equal(0);
        expect(await memberIds(owner, groupId)).not.to.include(other.userId);
      });

      it('joins at once when verification is off', async () => {
        const owner = await register();
        const { groupId } = await create(owner, [await register(), await register()]);
        await ok(owner, 'PUT', `/${groupId}/settings`, { joinVerify: false });
        const joiner = await register();
        expect(await ok(joiner, 'POST', `/${groupId}/join`, {})).to.deep.equal({
          groupId,
          status: 'joined',
          requestId: null,
        });
        expect((await ok<GroupDto>(joiner, 'GET', `/${groupId}`)).memberCount).to.equal(4);
      });

      it('invites: members may while invites are on; failures are reported per id', async () => {
        const owner = await register();
        const [a, b] = [await register(), await register()];
        const { groupId } = await create(owner, [a, b]);
        const [c, d] = [await register(), await register()];
        await befriendAll(a, [c]);
        const result = await ok<{ successIds: string[]; failedIds: string[]; memberCount: number }>(
          a,
          'POST',
          `/${groupId}/members`,
          { userIds: [c.userId, b.userId, '123456789012345678'] },
        );
        expect(result.successIds).to.deep.equal([c.userId]);
        expect(sorted(result.failedIds)).to.deep.equal(sorted([b.userId, '123456789012345678']));
        expect(result.memberCount).to.equal(4);
        await ok(owner, 'PUT', `/${groupId}/settings`, { memberInvite: false });
        expectCode(
          await call(a, 'POST', `/${groupId}/members`, { userIds: [d.userId] }),
          ErrorCode.GROUP_NOT_ADMIN,
          403,
        );
        // The QR code is an invitation too.
        expectCode(await call(a, 'GET', `/${groupId}/qrcode`), ErrorCode.GROUP_NOT_ADMIN, 403);
      });

      it('joins through a QR code, honouring verification; refreshed and expired codes answer 40117', async () => {
        const owner = await register();
        const member = await register();
        const { groupId } = await create(owner, [member, await register()]);
        const qr = await ok<{ code: string; url: string; expiresAt: string }>(
          member,
          'GET',
          `/${groupId}/qrcode`,
        );
        expect(qr.url).to.contain(qr.code);
        expect(Date.parse(qr.expiresAt) - Date.now()).to.be.within(0, QR_TTL_SECONDS * 1000);
        expect((await ok<{ code: string }>(owner, 'GET', `/${groupId}/qrcode`)).code).to.equal(qr.code);

        const scanner = await register();
        expect(await ok<GroupDto>(scanner, 'GET', `/qrcode/${qr.code}`)).to.include({
          groupId,
          isMember: false,
        });
        const pending = await ok<{ status: string; requestId: string }>(scanner, 'POST', '/join-by-qrcode', {
          code: qr.code,
          message: 'from the poster',
        });
        expect(pending.status).to.equal('pending');
        const listed = await ok<{ requests: Array<{ source: string }> }>(owner, 'GET', `/${groupId}/join`);
        expect(listed.requests[0]!.source).to.equal('qrcode');

        await ok(owner, 'PUT', `/${groupId}/settings`, { joinVerify: false });
        const direct = await register();
        expect(await ok(direct, 'POST', '/join-by-qrcode', { code: qr.code })).to.include({
          status: 'joined',
          groupId,
        });

        const fresh = await ok<{ code: string }>(owner, 'GET', `/${groupId}/qrcode?refresh=true`);
        expect(fresh.code).not.to.equal(qr.code);
        const late = await register();
        expectCode(
          await call(late, 'POST', '/join-by-qrcode', { code: qr.code }),
          ErrorCode.GROUP_QRCODE_EXPIRED,
          400,
        );
        expectCode(
          await call(late, 'POST', '/join-by-qrcode', { code: 'nothing-like-a-code' }),
          ErrorCode.GROUP_QRCODE_EXPIRED,
          400,
        );
        await sleep(QR_TTL_SECONDS * 1000 + 100);
        expectCode(
          await call(late, 'POST', '/join-by-qrcode', { code: fresh.code }),
          ErrorCode.GROUP_QRCODE_EXPIRED,
          400,
        );
        expectCode(await call(late, 'GET', `/qrcode/${fresh.code}`), ErrorCode.GROUP_QRCODE_EXPIRED, 400);
        // A new code is handed out once the old one expired.
        expect((await ok<{ code: string }>(owner, 'GET', `/${groupId}/qrcode`)).code).not.to.equal(
          fresh.code,
        );
      });
    });

    describe('moderation and membership changes', () => {
      it('mutes a member for a duration that lifts itself; 0 lifts it at once', async () => {
        const owner = await register();
        const target = await register();
        const { groupId } = await create(owner, [target, await register()]);
        const muted = await ok<{ isMuted: boolean; mutedUntil: string }>(
          owner,
          'PUT',
          `/${groupId}/members/${target.userId}/mute`,
          { seconds: 1 },
        );
        expect(muted.isMuted).to.equal(true);
        const row = async () => (await members(owner, groupId)).find((m) => m.userId === target.userId)!;
        expect((await row()).isMuted).to.equal(true);
        const context = await sendContext(groupId, target.userId);
        expect(context.member?.mutedUntil).to.equal(muted.mutedUntil);
        await events.until(
          events.timeline,
          (e) =>
            e.kind === 'group.member.muted' &&
            e.payload?.groupId === groupId &&
            e.payload?.userId === target.userId,
        );
        await sleep(1100);
        expect((await row()).isMuted).to.equal(false);
        expect((await ok<GroupDto>(target, 'GET', `/${groupId}`)).me?.isMuted).to.equal(false);

        await ok(owner, 'PUT', `/${groupId}/members/${target.userId}/mute`, { seconds: 3600 });
        expect((await row()).isMuted).to.equal(true);
        const lifted = await ok<{ isMuted: boolean; mutedUntil: null }>(
          owner,
          'PUT',
          `/${groupId}/members/${target.userId}/mute`,
          { seconds: 0 },
        );
        expect(lifted).to.deep.include({ isMuted: false, mutedUntil: null });
        expect((await row()).isMuted).to.equal(false);

        await ok(owner, 'PUT', `/${groupId}/settings`, { allMuted: true });
        expect((await sendContext(groupId, owner.userId)).allMuted).to.equal(true);
        await events.until(events.system, (e) => e.kind === 'group.muted' && e.groupId === groupId);
      });

      it('posts an announcement as a group notice and renames the group', async () => {
        const owner = await register('Boss');
        const a = await register();
        const { groupId } = await create(owner, [a, await register()]);
        const updated = await ok<GroupDto>(owner, 'PUT', `/${groupId}`, {
          name: 'New name',
          announcement: 'Line one\nLine two',
        });
        expect(updated).to.include({ name: 'New name', announcement: 'Line one\nLine two' });
        const notice = await events.until(
          events.system,
          (e) => e.kind === 'group.announcement' && e.groupId === groupId,
        );
        expect(notice.text).to.contain('Line one');
        expect(notice.recipients).to.have.length(3);
        await events.until(
          events.timeline,
          (e) => e.kind === 'group.updated' && e.payload?.groupId === groupId,
        );
        await events.until(events.changed, (e) => e.kind === 'group.announcement' && e.groupId === groupId);
        expect((await ok<GroupDto>(a, 'GET', `/${groupId}`)).announcement).to.equal('Line one\nLine two');
      });

      it('posts a notice of the longest announcement that every member sees, its text cut to fit', async () => {
        const owner = await register('Boss');
        const a = await register();
        const { groupId } = await create(owner, [a, await register()]);
        const announcement = `${'Long rules. '.repeat(166)}End`;
        expect(announcement.length).to.be.within(1001, 2000);
        await ok(owner, 'PUT', `/${groupId}`, { announcement });
        await platform().host.settled();
        const history = await api().ok<{
          messages: Array<{
            contentType: string;
            content: { kind: string; text: string; data: Record<string, unknown> };
          }>;
        }>('GET', `/api/v1/messages/history?sessionId=g_${groupId}&limit=20`, { token: a.accessToken });
        const notice = history.messages.find(
          (m) => m.contentType === 'system' && m.content.kind === 'group.announcement',
        );
        expect(notice, 'the notice reached the member').to.not.equal(undefined);
        expect(notice!.content.text.length).to.be.at.most(SYSTEM_MESSAGE_TEXT_MAX);
        expect(notice!.content.text).to.match(/^Group notice: Long rules\. .*…$/);
        expect(notice!.content.data.announcement).to.equal(announcement);
      });

      it('sets my group nickname and finds members by keyword', async () => {
        const owner = await register('Searcher');
        const a = await register('Zed Findme');
        const b = await register('Other');
        const { groupId } = await create(owner, [a, b]);
        await ok(b, 'PUT', `/${groupId}/nickname`, { nickname: 'Captain' });
        expect((await members(owner, groupId, '?keyword=captain')).map((m) => m.userId)).to.deep.equal([
          b.userId,
        ]);
        expect((await members(owner, groupId, '?keyword=findme')).map((m) => m.userId)).to.deep.equal([
          a.userId,
        ]);
        expect(await members(owner, groupId, '?keyword=nobody')).to.deep.equal([]);
        const paged = await ok<{ total: number; members: MemberDto[] }>(
          owner,
          'GET',
          `/${groupId}/members?pageSize=2&page=2`,
        );
        expect(paged.total).to.equal(3);
        expect(paged.members).to.have.length(1);
        await ok(b, 'PUT', `/${groupId}/nickname`, { nickname: '' });
        expect((await members(owner, groupId, '?keyword=captain')).length).to.equal(0);
      });

      it('exits: the owner transfers first; a former member is out of everything', async () => {
        const owner = await register();
        const [a, b] = [await register(), await register()];
        const { groupId } = await create(owner, [a, b]);
        await ok(a, 'POST', `/${groupId}/exit`);
        expectCode(await call(a, 'POST', `/${groupId}/exit`), ErrorCode.GROUP_NOT_MEMBER, 403);
        expectCode(await call(a, 'GET', `/${groupId}/members`), ErrorCode.GROUP_NOT_MEMBER, 403);
        const left = await events.until(
          events.timeline,
          (e) => e.kind === 'group.member.left' && e.payload?.groupId === groupId,
        );
        expect(sorted(left.recipients)).to.deep.equal(sorted([owner.userId, a.userId, b.userId]));
        expectCode(await call(owner, 'POST', `/${groupId}/exit`), ErrorCode.GROUP_OWNER_CANNOT_EXIT, 400);
        await ok(owner, 'POST', `/${groupId}/transfer`, { userId: b.userId });
        const info = await ok<GroupDto>(owner, 'GET', `/${groupId}`);
        expect(info.ownerId).to.equal(b.userId);
        expect(info.me?.role).to.equal('member');
        await ok(owner, 'POST', `/${groupId}/exit`);
        expect(await memberIds(b, groupId)).to.deep.equal([b.userId]);
        expect((await ok<GroupDto>(b, 'GET', `/${groupId}`)).memberCount).to.equal(1);
      });

      it('dismisses: members are told, and further changes answer 40102', async () => {
        const owner = await register();
        const [a, b] = [await register(), await register()];
        const { groupId } = await create(owner, [a, b]);
        await ok(owner, 'DELETE', `/${groupId}`);
        const note = await events.until(
          events.timeline,
          (e) => e.kind === 'group.dismissed' && e.payload?.groupId === groupId,
        );
        expect(sorted(note.recipients)).to.deep.equal(sorted([owner.userId, a.userId, b.userId]));
        await events.until(events.system, (e) => e.kind === 'group.dismissed' && e.groupId === groupId);
        expect((await ok<GroupDto>(a, 'GET', `/${groupId}`)).dismissed).to.equal(true);
        expectCode(await call(owner, 'PUT', `/${groupId}`, { name: 'x' }), ErrorCode.GROUP_DISMISSED, 400);
        expectCode(await call(owner, 'DELETE', `/${groupId}`), ErrorCode.GROUP_DISMISSED, 400);
        expectCode(await call(a, 'POST', `/${groupId}/exit`), ErrorCode.GROUP_DISMISSED, 400);
        expectCode(await call(a, 'GET', `/${groupId}/members`), ErrorCode.GROUP_DISMISSED, 400);
        expectCode(
          await call(await register(), 'POST', `/${groupId}/join`, {}),
          ErrorCode.GROUP_DISMISSED,
          400,
        );
        const context = await sendContext(groupId, a.userId);
        // Its members stay members on the message path (the conversation remains readable);
        // the dismissed flag closes it to new messages.
        expect(context).to.include({ exists: true, dismissed: true });
        expect(context.member).to.not.equal(null);
        expect(context.memberIds).to.include(a.userId);
        expect(await groupsClient().memberIds(groupId)).to.include(a.userId);
      });
    });

    describe('my groups', () => {
      it('lists my groups and, with lastUpdateTime, what changed: renamed, left, removed, dismissed', async () => {
        const me = await register();
        const [o1, o2, o3, o4, x] = [
          await register(),
          await register(),
          await register(),
          await register(),
          await register(),
        ];
        const renamed = await create(o1, [me, x]);
        const left = await create(o2, [me, x]);
        const removed = await create(o3, [me, x]);
        const dismissed = await create(o4, [me, x]);
        const quiet = await create(o1, [me, x]);
        const full = await ok<GroupList>(me, 'GET', '');
        expect(full.total).to.equal(5);
        expect(full.groups.map((g) => g.groupId)).to.have.members(
          [renamed, left, removed, dismissed, quiet].map((g) => g.groupId),
        );
        expect(full.groups.every((g) => g.status === 'active')).to.equal(true);
        const firstPage = await ok<GroupList>(me, 'GET', '?pageSize=2');
        expect(firstPage.groups).to.have.length(2);
        expect(firstPage.hasMore).to.equal(true);

        const since = full.updateTime;
        expect((await ok<GroupList>(me, 'GET', `?lastUpdateTime=${since}`)).groups).to.deep.equal([]);
        await ok(o1, 'PUT', `/${renamed.groupId}`, { name: 'Renamed' });
        await ok(me, 'POST', `/${left.groupId}/exit`);
        await ok(o3, 'DELETE', `/${removed.groupId}/members/${me.userId}`);
        await ok(o4, 'DELETE', `/${dismissed.groupId}`);
        const changes = await ok<GroupList>(me, 'GET', `?lastUpdateTime=${since}`);
        const byId = new Map(changes.groups.map((g) => [g.groupId, g]));
        expect(byId.size).to.equal(4);
        expect(byId.get(renamed.groupId)).to.include({ status: 'active', name: 'Renamed' });
        expect(byId.get(left.groupId)).to.include({ status: 'left' });
        expect(byId.get(removed.groupId)).to.include({ status: 'removed' });
        expect(byId.get(dismissed.groupId)).to.include({ status: 'dismissed' });
        expect(changes.total).to.equal(2);
        expect(changes.updateTime).to.be.greaterThan(since);
        expect(
          (await ok<GroupList>(me, 'GET', `?lastUpdateTime=${changes.updateTime}`)).groups,
        ).to.deep.equal([]);
        // Paging through changes.
        const one = await ok<GroupList>(me, 'GET', `?lastUpdateTime=${since}&pageSize=3`);
        expect(one.hasMore).to.equal(true);
        const rest = await ok<GroupList>(me, 'GET', `?lastUpdateTime=${one.updateTime}&pageSize=3`);
        expect(rest.hasMore).to.equal(false);
        expect([...one.groups, ...rest.groups].map((g) => g.groupId).sort()).to.deep.equal(
          [...byId.keys()].sort(),
        );
        // A removed member can come back.
        await ok(o3, 'POST', `/${removed.groupId}/members`, { userIds: [me.userId] });
        const back = await ok<GroupList>(me, 'GET', `?lastUpdateTime=${changes.updateTime}`);
        expect(back.groups.map((g) => [g.groupId, g.status])).to.deep.equal([[removed.groupId, 'active']]);
      });
    });

    describe('internal methods', () => {
      it('answers send contexts, conversation members and briefs, and validates their input', async () => {
        const owner = await register();
        const [a, b] = [await register(), await register()];
        const outsider = await register();
        const group = await create(owner, [a, b]);
        await ok(owner, 'POST', `/${group.groupId}/admins`, { userId: a.userId });
        const context = await sendContext(group.groupId, a.userId);
        expect(context).to.deep.include({
          groupId: group.groupId,
          exists: true,
          dismissed: false,
          allMuted: false,
          historyVisible: true,
        });
        expect(context.member).to.include({ role: 'admin', mutedUntil: null });
        expect(Date.parse(context.member!.joinedAt)).to.be.closeTo(Date.now(), 60_000);
        expect(sorted(context.memberIds)).to.deep.equal(sorted([owner.userId, a.userId, b.userId]));
        const stranger = await sendContext(group.groupId, outsider.userId);
        expect(stranger.member).to.equal(null);
        expect(stranger.memberIds).to.have.length(3);
        const missing = await sendContext('999999999999', a.userId);
        expect(missing).to.include({ exists: false, member: null });
        // Everyone in the conversation, asked by the group alone (no user stands in for it).
        expect(sorted(await groupsClient().memberIds(group.groupId))).to.deep.equal(
          sorted([owner.userId, a.userId, b.userId]),
        );
        const { invoker } = platform();
        expect(
          await invoker.call(GroupService.method.listConversationMembers, { groupId: '999999999999' }),
        ).to.deep.include({ exists: false, memberIds: [] });

        const { briefs } = await invoker.call(GroupService.method.getGroupBriefs, {
          groupIds: [group.groupId, '999999999999'],
        });
        expect(briefs.map(({ $typeName: _, ...brief }) => brief)).to.deep.equal([
          { groupId: group.groupId, name: 'Team', memberCount: 3, dismissed: false },
        ]);
        for (const input of [{ groupId: 'x', userId: a.userId }, { groupId: group.groupId }, {}]) {
          try {
            await invoker.call(GroupService.method.getSendContext, input);
            expect.fail('accepted bad input');
          } catch (error) {
            expect(error).to.be.instanceOf(AppError);
            expect((error as AppError).code).to.equal(ErrorCode.INVALID_PARAMS);
          }
        }
      });
    });

    describe('bad input', () => {
      it('answers 400 with code 1', async () => {
        const owner = await register();
        const { groupId } = await create(owner, [await register(), await register()]);
        const probes: Array<[string, string, unknown]> = [
          ['POST', '', {}],
          ['POST', '', { name: '', memberIds: [] }],
          ['POST', '', { name: 'x', memberIds: ['abc'] }],
          ['POST', '', { name: 'x', memberIds: [], avatar: 'not a url' }],
          ['GET', '/abc', undefined],
          ['GET', '?lastUpdateTime=yesterday', undefined],
          ['PUT', `/${groupId}`, {}],
          ['PUT', `/${groupId}`, { name: 'a\u0007b' }],
          ['PUT', `/${groupId}/settings`, {}],
          ['PUT', `/${groupId}/settings`, { allMuted: 'yes' }],
          ['PUT', `/${groupId}/members/${owner.userId}/mute`, { seconds: -1 }],
          ['PUT', `/${groupId}/members/${owner.userId}/mute`, { seconds: 1.5 }],
          ['POST', `/${groupId}/members`, { userIds: [] }],
          ['PUT', `/${groupId}/join/1`, { action: 'maybe' }],
          ['POST', '/join-by-qrcode', { code: 'bad code!' }],
          ['GET', `/${groupId}/members?pageSize=100000`, undefined],
        ];
        for (const [method, path, body] of probes) {
          const response = await call(owner, method, path, body);
          expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).to.equal(400);
          expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
        }
        // A malformed id in a path that also takes a body names nothing.
        expectCode(
          await call(owner, 'PUT', `/${groupId}/join/abc`, { action: 'accept' }),
          ErrorCode.GROUP_JOIN_REQUEST_NOT_FOUND,
          404,
        );
        expectCode(
          await call(owner, 'PUT', `/${groupId}/members/abc/mute`, { seconds: 5 }),
          ErrorCode.GROUP_NOT_MEMBER,
          403,
        );
      });
    });
  },
  { GROUP_MAX_MEMBERS: String(MAX_MEMBERS), GROUP_QRCODE_TTL_SECONDS: String(QR_TTL_SECONDS) },
);
