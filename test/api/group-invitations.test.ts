import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { type ApiResponse, registerUser, type SignedIn } from '../support/api-client.ts';
import { befriendAll } from '../support/chat.ts';
import { forEachBackend, type TestPlatform } from '../support/platform.ts';
import { clientMsgId, WsClient } from '../support/ws-client.ts';

type User = SignedIn & { account: string };

interface Outcome {
  successIds: string[];
  invitedIds: string[];
  failedIds: string[];
  failures: Array<{ userId: string; code: number; reason: string }>;
}

interface Invitation {
  groupId: string;
  group: { name: string; avatar: string | null; memberCount: number };
  inviter: { userId: string; nickname: string };
  createdAt: string;
  expiresAt: string;
}

interface HistoryMessage {
  senderId: string;
  contentType: string;
  content: unknown;
}

const INVITATION_TTL_SECONDS = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The API as the group tests use it, over one platform. */
function groupApi(platform: () => TestPlatform) {
  const api = () => platform().api;
  const register = (nickname?: string): Promise<User> =>
    registerUser(api(), nickname ? { nickname } : {}) as Promise<User>;
  const call = <T = unknown>(user: User, method: string, path: string, body?: unknown) =>
    api().call<T>(method, path, { token: user.accessToken, ...(body === undefined ? {} : { body }) });
  const ok = async <T = unknown>(user: User, method: string, path: string, body?: unknown): Promise<T> => {
    const response = await call<T>(user, method, path, body);
    expect(response.body.code, `${method} ${path}: ${JSON.stringify(response.body)}`).to.equal(0);
    return response.body.data;
  };
  const expectCode = (response: ApiResponse, code: number) =>
    expect(response.body.code, JSON.stringify(response.body)).to.equal(code);
  const create = (owner: User, members: User[]) =>
    ok<Outcome & { groupId: string; memberCount: number }>(owner, 'POST', '/api/v1/groups', {
      name: 'Book club',
      memberIds: members.map((u) => u.userId),
    });
  const add = (inviter: User, groupId: string, users: User[]) =>
    ok<Outcome & { memberCount: number }>(inviter, 'POST', `/api/v1/groups/${groupId}/members`, {
      userIds: users.map((u) => u.userId),
    });
  const invitations = (user: User) =>
    ok<{ total: number; invitations: Invitation[] }>(user, 'GET', '/api/v1/groups/invitations');
  const answer = (user: User, groupId: string, action: 'accept' | 'decline') =>
    call<{ groupId: string; status: string }>(user, 'PUT', `/api/v1/groups/${groupId}/invitation`, {
      action,
    });
  const memberIds = async (user: User, groupId: string) =>
    (
      await ok<{ members: Array<{ userId: string }> }>(user, 'GET', `/api/v1/groups/${groupId}/members`)
    ).members.map((m) => m.userId);
  const setPolicy = (user: User, groupInvitePolicy: string) =>
    ok(user, 'PUT', '/api/v1/users/settings', { groupInvitePolicy });
  const sendToGroup = (user: User, groupId: string, content: string) =>
    call(user, 'POST', '/api/v1/messages', {
      sessionType: 'group',
      targetId: groupId,
      contentType: 'text',
      content,
      clientMsgId: clientMsgId(),
    });
  const history = (user: User, groupId: string) =>
    call<{ messages: HistoryMessage[] }>(
      user,
      'GET',
      `/api/v1/messages/history?sessionId=g_${groupId}&limit=100`,
    );
  return {
    api,
    register,
    call,
    ok,
    expectCode,
    create,
    add,
    invitations,
    answer,
    memberIds,
    setPolicy,
    sendToGroup,
    history,
  };
}

forEachBackend(
  'group invitations (strangers may not message each other)',
  (platform) => {
    const g = groupApi(platform);
    const { register, ok, expectCode, create, add, invitations, answer, memberIds } = g;

    it('invites a stranger instead of adding them: no member, nothing to read or send, until accepting', async () => {
      const owner = await register('Olga');
      const [a, b] = [await register(), await register()];
      const stranger = await register('Stan');
      await befriendAll(g.api(), owner, [a, b]);
      const ws = await WsClient.connect(platform().host.url, stranger.accessToken);
      try {
        const created = await create(owner, [a, b, stranger]);
        expect(created.successIds).to.have.members([a.userId, b.userId]);
        expect(created.invitedIds).to.deep.equal([stranger.userId]);
        expect(created.memberCount).to.equal(3);
        const { groupId } = created;

        // Told over the WebSocket.
        const note = await ws.next(
          (f) => f.type === 'NOTIFICATION' && f.data.kind === 'group.invited',
          10_000,
        );
        expect(note.data.payload).to.deep.include({ groupId, inviterId: owner.userId });
        expect(note.data.payload.group.name).to.equal('Book club');

        // Not a member: MESSAGE_ALLOW_STRANGERS=false is not bypassed through the group.
        expect(await memberIds(owner, groupId)).not.to.include(stranger.userId);
        expectCode(await g.sendToGroup(stranger, groupId, 'hi all'), ErrorCode.GROUP_NOT_MEMBER);
        expect((await g.sendToGroup(owner, groupId, 'members only')).body.code).to.equal(0);
        expectCode(await g.history(stranger, groupId), ErrorCode.GROUP_NOT_MEMBER);
        await platform().host.settled();
        expect(ws.messages().map((f) => f.data.content)).not.to.include('members only');

        const listed = await invitations(stranger);
        expect(listed.total).to.equal(1);
        expect(listed.invitations[0]).to.deep.include({ groupId });
        expect(listed.invitations[0]!.group).to.deep.include({ name: 'Book club', memberCount: 3 });
        expect(listed.invitations[0]!.inviter).to.include({ userId: owner.userId, nickname: 'Olga' });
        expect(Date.parse(listed.invitations[0]!.expiresAt)).to.be.greaterThan(Date.now());
        // Nobody else can answer it.
        expectCode(await answer(a, groupId, 'accept'), ErrorCode.GROUP_INVITATION_NOT_FOUND);

        expect((await answer(stranger, groupId, 'accept')).body.data).to.deep.equal({
          groupId,
          status: 'accepted',
        });
        expect(await memberIds(owner, groupId)).to.include(stranger.userId);
        expect((await invitations(stranger)).total).to.equal(0);
        expectCode(await answer(stranger, groupId, 'accept'), ErrorCode.GROUP_INVITATION_NOT_FOUND);
        // A member now: the usual notice, and the conversation is open both ways.
        await platform().host.settled();
        const notices = (await g.history(owner, groupId)).body.data.messages.filter(
          (m) => m.contentType === 'system',
        );
        expect(notices.map((m) => (m.content as { text: string }).text)).to.include(
          "Stan joined the group at Olga's invitation",
        );
        expect((await g.sendToGroup(stranger, groupId, 'thanks')).body.code).to.equal(0);
        await ws.waitForMessages(1, (f) => f.data.content === 'thanks');
      } finally {
        await ws.close();
      }
    });

    it('declining removes the invitation and tells the inviter; inviting again renews the one invitation', async () => {
      const owner = await register();
      const [a, b] = [await register(), await register()];
      const stranger = await register();
      await befriendAll(g.api(), owner, [a, b]);
      const ownerWs = await WsClient.connect(platform().host.url, owner.accessToken);
      try {
        const { groupId } = await create(owner, [a, b]);
        expect((await add(owner, groupId, [stranger])).invitedIds).to.deep.equal([stranger.userId]);
        // a (a member; member invites are on) invites too: still one invitation, now from a.
        expect((await add(a, groupId, [stranger])).invitedIds).to.deep.equal([stranger.userId]);
        const listed = await invitations(stranger);
        expect(listed.total).to.equal(1);
        expect(listed.invitations[0]!.inviter.userId).to.equal(a.userId);

        expect((await answer(stranger, groupId, 'decline')).body.data).to.deep.equal({
          groupId,
          status: 'declined',
        });
        expect((await invitations(stranger)).total).to.equal(0);
        expectCode(await answer(stranger, groupId, 'accept'), ErrorCode.GROUP_INVITATION_NOT_FOUND);
        expectCode(await answer(stranger, groupId, 'decline'), ErrorCode.GROUP_INVITATION_NOT_FOUND);
        expect(await memberIds(owner, groupId)).not.to.include(stranger.userId);
        // a (the inviter) is told; the owner is not.
        await platform().host.settled();
        expect(
          ownerWs.frames.some((f) => f.type === 'NOTIFICATION' && f.data.kind === 'group.invitation.handled'),
        ).to.equal(false);
        const aWs = await WsClient.connect(platform().host.url, a.accessToken, { syncSeq: 0 });
        try {
          const handled = await aWs.next(
            (f) => f.type === 'NOTIFICATION' && f.data.kind === 'group.invitation.handled',
          );
          expect(handled.data.payload).to.deep.include({
            groupId,
            userId: stranger.userId,
            status: 'declined',
          });
        } finally {
          await aWs.close();
        }
      } finally {
        await ownerWs.close();
      }
    });

    it('refuses inviters the invitee blacklisted, and members who may not invite', async () => {
      const owner = await register();
      const [a, b] = [await register(), await register()];
      const [blocker, outsider, stranger] = [await register(), await register(), await register()];
      await befriendAll(g.api(), owner, [a, b]);
      const { groupId } = await create(owner, [a, b]);
      await ok(blocker, 'POST', '/api/v1/friends/blacklist', { userId: owner.userId });
      const refused = await add(owner, groupId, [blocker]);
      expect(refused).to.deep.include({ successIds: [], invitedIds: [], failedIds: [blocker.userId] });
      expect(refused.failures[0]).to.include({ code: ErrorCode.BLOCKED_BY_PEER, reason: 'blocked' });
      expect((await invitations(blocker)).total).to.equal(0);

      expectCode(
        await g.call(outsider, 'POST', `/api/v1/groups/${groupId}/members`, { userIds: [stranger.userId] }),
        ErrorCode.GROUP_NOT_MEMBER,
      );
      await ok(owner, 'PUT', `/api/v1/groups/${groupId}/settings`, { memberInvite: false });
      expectCode(
        await g.call(a, 'POST', `/api/v1/groups/${groupId}/members`, { userIds: [stranger.userId] }),
        ErrorCode.GROUP_NOT_ADMIN,
      );
      expect((await invitations(stranger)).total).to.equal(0);
    });

    it('lets nobody in on the invitation of a member who may no longer invite', async () => {
      const owner = await register();
      const [a, b, dropped] = [await register(), await register(), await register()];
      await befriendAll(g.api(), owner, [a, b]);
      const { groupId } = await create(owner, [a, b]);
      await add(a, groupId, [dropped]);
      expect((await invitations(dropped)).total).to.equal(1);
      await ok(owner, 'DELETE', `/api/v1/groups/${groupId}/members/${a.userId}`);
      expect((await invitations(dropped)).total).to.equal(0);
      expectCode(await answer(dropped, groupId, 'accept'), ErrorCode.GROUP_INVITATION_NOT_FOUND);
      expect(await memberIds(owner, groupId)).not.to.include(dropped.userId);
    });

    it('keeps join approval as it is: an invitee asking to join waits; accepting the invitation joins and settles it', async () => {
      const owner = await register();
      const [a, b] = [await register(), await register()];
      const stranger = await register();
      await befriendAll(g.api(), owner, [a, b]);
      const { groupId } = await create(owner, [a, b]);
      await add(owner, groupId, [stranger]);
      const asked = await ok<{ status: string }>(stranger, 'POST', `/api/v1/groups/${groupId}/join`, {});
      expect(asked.status).to.equal('pending');
      expect((await answer(stranger, groupId, 'accept')).body.code).to.equal(0);
      const pending = await ok<{ total: number }>(owner, 'GET', `/api/v1/groups/${groupId}/join`);
      expect(pending.total).to.equal(0);
      // And joining some other way (a friend adds them) settles an invitation.
      const other = await register();
      await add(a, groupId, [other]);
      await befriendAll(g.api(), owner, [other]);
      expect((await add(owner, groupId, [other])).successIds).to.deep.equal([other.userId]);
      expect((await invitations(other)).total).to.equal(0);
    });

    it('honours "who may add me to groups": nobody makes even a friend an invitee; everyone does not let strangers in here', async () => {
      const owner = await register();
      const [a, b] = [await register(), await register()];
      const [private_, open] = [await register(), await register()];
      await befriendAll(g.api(), owner, [a, b, private_]);
      await g.setPolicy(private_, 'nobody');
      await g.setPolicy(open, 'everyone');
      const created = await create(owner, [a, b, private_, open]);
      expect(created.successIds).to.have.members([a.userId, b.userId]);
      expect(created.invitedIds).to.have.members([private_.userId, open.userId]);
      // Only invitees: the group starts with its owner, and fills as they accept.
      const c = await register();
      const d = await register();
      const invitedOnly = await create(owner, [c, d]);
      expect(invitedOnly).to.deep.include({ successIds: [], memberCount: 1 });
      expect(invitedOnly.invitedIds).to.have.members([c.userId, d.userId]);
      expect((await answer(c, invitedOnly.groupId, 'accept')).body.code).to.equal(0);
      expect(await memberIds(owner, invitedOnly.groupId)).to.have.members([owner.userId, c.userId]);
    });
  },
  {},
);

forEachBackend(
  'group invitations (strangers may message each other; invitations lapse soon)',
  (platform) => {
    const g = groupApi(platform);

    it('adds a stranger whose setting is "everyone" directly; the default ("friends") still invites', async () => {
      const owner = await g.register();
      const [open, closed, other] = [await g.register(), await g.register(), await g.register()];
      await g.setPolicy(open, 'everyone');
      const created = await g.create(owner, [open, closed, other]);
      expect(created.successIds).to.deep.equal([open.userId]);
      expect(created.invitedIds).to.have.members([closed.userId, other.userId]);
    });

    it('lets an invitation lapse when it expires', async () => {
      const owner = await g.register();
      const [a, b, late] = [await g.register(), await g.register(), await g.register()];
      await befriendAll(g.api(), owner, [a, b]);
      const { groupId } = await g.create(owner, [a, b]);
      expect((await g.add(owner, groupId, [late])).invitedIds).to.deep.equal([late.userId]);
      await sleep(INVITATION_TTL_SECONDS * 1000 + 200);
      expect((await g.invitations(late)).total).to.equal(0);
      g.expectCode(await g.answer(late, groupId, 'accept'), ErrorCode.GROUP_INVITATION_NOT_FOUND);
      g.expectCode(await g.answer(late, groupId, 'decline'), ErrorCode.GROUP_INVITATION_NOT_FOUND);
      expect(await g.memberIds(owner, groupId)).not.to.include(late.userId);
      // Inviting again gives a new one.
      expect((await g.add(owner, groupId, [late])).invitedIds).to.deep.equal([late.userId]);
    });
  },
  { MESSAGE_ALLOW_STRANGERS: 'true', GROUP_INVITATION_TTL_SECONDS: String(INVITATION_TTL_SECONDS) },
);
