import { expect } from 'chai';
import { createAdminAccount } from '../../services/admin/index.ts';
import { type ApiClient, registerUser, uniqueAccount } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, befriendAll, type User } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { type Frame, WsClient } from '../support/ws-client.ts';

const PASSWORD = 'correct horse battery';

/** Signs an admin in over the API and returns a caller bound to its token. */
async function adminSession(api: ApiClient, username: string, password = PASSWORD) {
  const login = await api.ok<{ token: string; admin: { permissions: string[] } }>(
    'POST',
    '/api/v1/admin/auth/login',
    {
      body: { username, password },
    },
  );
  return {
    token: login.token,
    permissions: login.admin.permissions,
    ok: <T>(method: string, path: string, body?: unknown) =>
      api.ok<T>(method, path, { token: login.token, ...(body === undefined ? {} : { body }) }),
    call: <T>(method: string, path: string, body?: unknown) =>
      api.call<T>(method, path, { token: login.token, ...(body === undefined ? {} : { body }) }),
  };
}

const loginOf = (api: ApiClient, user: User) =>
  api.call('POST', '/api/v1/auth/login', {
    body: {
      account: user.account,
      password: user.password,
      deviceType: 'Web',
      deviceId: `web-${user.account}`,
    },
  });

describe('admin service over HTTP and WebSocket (embedded platform)', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  let api: ApiClient;
  let root: Awaited<ReturnType<typeof adminSession>>;
  const sockets: WsClient[] = [];

  const connect = async (user: User, options: { syncSeq?: number } = {}) => {
    const ws = await WsClient.connect(platform.host.url, user.accessToken, options);
    sockets.push(ws);
    return ws;
  };

  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', {
      SENSITIVE_WORDS_REFRESH_MS: '0',
      GATEWAY_REPORT_INTERVAL_SECONDS: '1',
      ADMIN_SWEEP_SECONDS: '1',
    });
    api = platform.api;
    const databaseUrl = platform.backend.env.DATABASE_URL!;
    await createAdminAccount(databaseUrl, { username: 'root', password: PASSWORD, role: 'superadmin' });
    await createAdminAccount(databaseUrl, { username: 'watcher', password: PASSWORD, role: 'auditor' });
    root = await adminSession(api, 'root');
  });

  after(async () => {
    await Promise.all(sockets.map((ws) => ws.close()));
    await platform?.stop();
  });

  describe('admin accounts and tokens', () => {
    it('refuses a wrong password with 120102 and records the attempt', async () => {
      const response = await api.call('POST', '/api/v1/admin/auth/login', {
        body: { username: 'root', password: 'not the password' },
      });
      expect(response.status).to.equal(401);
      expect(response.body.code).to.equal(120102);
      const unknown = await api.call('POST', '/api/v1/admin/auth/login', {
        body: { username: 'nobody', password: 'not the password' },
      });
      expect(unknown.body.code).to.equal(120102);
      const audit = await root.ok<{ items: Array<{ action: string; actorName: string; ip: string }> }>(
        'GET',
        '/api/v1/admin/audit?action=admin.login.failed',
      );
      expect(audit.items.map((item) => item.actorName)).to.include.members(['root', 'nobody']);
      expect(audit.items[0]!.ip).to.be.a('string').and.not.empty;
    });

    it('keeps admin and chat tokens apart', async () => {
      const user = await registerUser(api);
      const chatOnAdmin = await api.call('GET', '/api/v1/admin/stats', { token: user.accessToken });
      expect(chatOnAdmin.status).to.equal(401);
      expect(chatOnAdmin.body.code).to.equal(10104);
      const adminOnChat = await api.call('GET', '/api/v1/users/me', { token: root.token });
      expect(adminOnChat.status).to.equal(401);
      const none = await api.call('GET', '/api/v1/admin/users');
      expect(none.body.code).to.equal(12);
    });

    it('enforces permissions by role and names the missing one', async () => {
      const auditor = await adminSession(api, 'watcher');
      expect(auditor.permissions).to.include('users:read').and.not.include('users:write');
      await auditor.ok('GET', '/api/v1/admin/users');
      const user = await registerUser(api);
      const refused = await auditor.call<{ permission: string }>(
        'POST',
        `/api/v1/admin/users/${user.userId}/ban`,
        {
          reason: 'spam',
        },
      );
      expect(refused.status).to.equal(403);
      expect(refused.body.code).to.equal(120103);
      expect(refused.body.data.permission).to.equal('users:write');
      const denied = await root.ok<{
        items: Array<{ actorName: string; resourceId: string; details: { permission: string } }>;
      }>('GET', '/api/v1/admin/audit?action=admin.denied');
      expect(denied.items[0]).to.deep.include({
        actorName: 'watcher',
        resourceId: `POST /api/v1/admin/users/${user.userId}/ban`,
      });
      expect(denied.items[0]!.details.permission).to.equal('users:write');
      expect((await loginOf(api, user)).body.code).to.equal(0);
    });

    it('creates admins only with admins:write, refusing weak passwords and duplicates', async () => {
      const weak = await root.call('POST', '/api/v1/admin/admins', {
        username: 'ops1',
        password: 'short',
        role: 'operator',
      });
      expect(weak.body.code).to.equal(1);
      expect(weak.body.message).to.match(/password/);
      const badRole = await root.call('POST', '/api/v1/admin/admins', {
        username: 'ops1',
        password: PASSWORD,
        role: 'emperor',
      });
      expect(badRole.body.code).to.equal(1);
      await root.ok('POST', '/api/v1/admin/admins', {
        username: 'ops1',
        password: PASSWORD,
        role: 'operator',
      });
      const again = await root.call('POST', '/api/v1/admin/admins', {
        username: 'ops1',
        password: PASSWORD,
        role: 'operator',
      });
      expect(again.body.code).to.equal(8);
      const operator = await adminSession(api, 'ops1');
      expect(
        (
          await operator.call('POST', '/api/v1/admin/admins', {
            username: 'ops2',
            password: PASSWORD,
            role: 'operator',
          })
        ).body.code,
      ).to.equal(120103);
    });

    it('ends the admin session on logout', async () => {
      const session = await adminSession(api, 'root');
      await session.ok('POST', '/api/v1/admin/auth/logout');
      expect((await session.call('GET', '/api/v1/admin/auth/me')).body.code).to.equal(10104);
    });
  });

  describe('bans', () => {
    it('disconnects a banned user at once, refuses login with 10111, and unban restores', async () => {
      const user = await registerUser(api);
      const ws = await connect(user);
      const banned = await root.ok<{ state: string; until: string | null }>(
        'POST',
        `/api/v1/admin/users/${user.userId}/ban`,
        {
          reason: 'spam links',
        },
      );
      expect(banned).to.include({ state: 'banned', until: null });
      const logout = await ws.next((f: Frame) => f.type === 'FORCE_LOGOUT');
      expect(logout.data.reason).to.equal('account_banned');
      expect((await api.call('GET', '/api/v1/users/me', { token: user.accessToken })).status).to.equal(401);
      const refused = await loginOf(api, user);
      expect(refused.status).to.equal(403);
      expect(refused.body.code).to.equal(10111);

      const listed = await root.ok<{
        items: Array<{ userId: string; state: string; ban: { reason: string } | null }>;
      }>('GET', '/api/v1/admin/users?state=banned');
      const row = listed.items.find((item) => item.userId === user.userId);
      expect(row?.ban?.reason).to.equal('spam links');

      await root.ok('POST', `/api/v1/admin/users/${user.userId}/unban`);
      expect((await loginOf(api, user)).body.code).to.equal(0);
      const detail = await root.ok<{ state: string; ban: unknown }>(
        'GET',
        `/api/v1/admin/users/${user.userId}`,
      );
      expect(detail).to.include({ state: 'active', ban: null });
    });

    it('lifts a timed ban by itself', async () => {
      const user = await registerUser(api);
      await root.ok('POST', `/api/v1/admin/users/${user.userId}/ban`, {
        reason: 'cool down',
        durationSeconds: 1,
      });
      expect((await loginOf(api, user)).body.code).to.equal(10111);
      await eventually('the ban lifts', async () =>
        (await loginOf(api, user)).body.code === 0 ? true : undefined,
      );
      const audit = await root.ok<{ items: Array<{ actorType: string; action: string }> }>(
        'GET',
        `/api/v1/admin/audit?userId=${user.userId}&action=user.unban`,
      );
      expect(audit.items[0]?.actorType).to.equal('system');
    });

    it('does not lift a ban that was renewed before its first duration ran out', async () => {
      const user = await registerUser(api);
      await root.ok('POST', `/api/v1/admin/users/${user.userId}/ban`, {
        reason: 'first',
        durationSeconds: 1,
      });
      await root.ok('POST', `/api/v1/admin/users/${user.userId}/ban`, { reason: 'for good' });
      // Two sweeps (ADMIN_SWEEP_SECONDS=1) pass the first ban's end.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect((await loginOf(api, user)).body.code).to.equal(10111);
      const detail = await root.ok<{ ban: { reason: string; until: string | null } }>(
        'GET',
        `/api/v1/admin/users/${user.userId}`,
      );
      expect(detail.ban).to.include({ reason: 'for good', until: null });
    });

    it('kicks every device (admin_kick) without banning', async () => {
      const user = await registerUser(api);
      const ws = await connect(user);
      const kicked = await root.ok<{ devices: number }>('POST', `/api/v1/admin/users/${user.userId}/kick`);
      expect(kicked.devices).to.equal(1);
      expect((await ws.next((f: Frame) => f.type === 'FORCE_LOGOUT')).data.reason).to.equal('admin_kick');
      expect((await loginOf(api, user)).body.code).to.equal(0);
    });

    it('deletes an account: login then answers 10117 (account abnormal) to the right password', async () => {
      const user = await registerUser(api);
      await root.ok('DELETE', `/api/v1/admin/users/${user.userId}`);
      expect((await loginOf(api, user)).body.code).to.equal(10117);
    });

    it('answers bad input and unknown users with clear codes', async () => {
      expect((await root.call('POST', '/api/v1/admin/users/abc/ban', { reason: 'x' })).body.code).to.equal(1);
      expect((await root.call('POST', '/api/v1/admin/users/42/ban', { reason: '' })).body.code).to.equal(1);
      const unknown = await root.call('POST', '/api/v1/admin/users/42/ban', { reason: 'spam' });
      expect(unknown.body.code).to.equal(10102);
      expect(unknown.status).to.equal(404);
      expect((await root.call('GET', '/api/v1/admin/users?state=gone')).body.code).to.equal(1);
    });
  });

  describe('broadcasts', () => {
    it('reaches every connected client once and later clients through sync', async () => {
      const [a, b, later] = [await registerUser(api), await registerUser(api), await registerUser(api)];
      const [wsA, wsB] = [await connect(a), await connect(b)];
      const created = await root.ok<{ broadcastId: string }>('POST', '/api/v1/admin/broadcasts', {
        text: 'Maintenance tonight 02:00-03:00 UTC',
        kind: 'maintenance',
      });
      const isNotice = (f: Frame) => f.type === 'NOTIFICATION' && f.data.kind === 'admin.maintenance';
      for (const ws of [wsA, wsB]) {
        const frame = await ws.next(isNotice);
        expect(frame.data.payload).to.include({
          text: 'Maintenance tonight 02:00-03:00 UTC',
          broadcastId: created.broadcastId,
        });
      }
      const done = await eventually('the broadcast finishes', async () => {
        const broadcast = await root.ok<{ status: string; recipients: number }>(
          'GET',
          `/api/v1/admin/broadcasts/${created.broadcastId}`,
        );
        return broadcast.status === 'done' ? broadcast : undefined;
      });
      expect(done.recipients).to.be.at.least(3);
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const ws of [wsA, wsB]) expect(ws.frames.filter(isNotice)).to.have.length(1);

      const replay = await connect(later, { syncSeq: 0 });
      expect(replay.frames.filter(isNotice)).to.have.length(1);
    });

    it('refuses an empty text', async () => {
      expect((await root.call('POST', '/api/v1/admin/broadcasts', { text: '  ' })).body.code).to.equal(1);
    });
  });

  describe('moderation of content', () => {
    it('masks or refuses sensitive words in messages, nicknames and group names', async () => {
      const [a, b, c] = [await registerUser(api), await registerUser(api), await registerUser(api)];
      await befriend(api, a, b);
      const wsA = await connect(a);
      await root.ok('PUT', '/api/v1/admin/sensitive-words', { words: ['Badword', '坏词'], action: 'mask' });
      expect(await root.ok('GET', '/api/v1/admin/sensitive-words')).to.deep.equal({
        words: ['badword', '坏词'],
        action: 'mask',
      });
      const ack = await wsA.sendMessage(b.userId, 'this BADWORD and 坏词 here');
      expect(ack.type).to.equal('SEND_ACK');
      const history = await api.ok<{ messages: Array<{ messageId: string; content: string }> }>(
        'GET',
        `/api/v1/messages/history?sessionId=${ack.data.sessionId}&limit=10`,
        { token: b.accessToken },
      );
      expect(history.messages[0]!.content).to.equal('this ******* and ** here');

      await root.ok('PUT', '/api/v1/admin/sensitive-words', { words: ['badword'], action: 'reject' });
      const refused = await wsA.sendMessage(b.userId, 'badword again');
      expect(refused.type).to.equal('ERROR');
      expect(refused.data.code).to.equal(50105);
      const nickname = await api.call('PUT', '/api/v1/users/me', {
        token: a.accessToken,
        body: { nickname: 'the badword' },
      });
      expect(nickname.body.code).to.equal(20102);
      const account = uniqueAccount('reg');
      const registration = (nicknameText: string) =>
        api.call('POST', '/api/v1/auth/register', {
          body: {
            account,
            password: 'passw0rdOK',
            deviceType: 'Web',
            deviceId: `web-${account}`,
            nickname: nicknameText,
          },
        });
      expect(
        (await registration('badword fan')).body.code,
        'registration with a forbidden nickname',
      ).to.equal(20102);
      expect(
        (await registration('clean name')).body.code,
        'the refused registration left nothing behind',
      ).to.equal(0);
      const group = await api.call('POST', '/api/v1/groups', {
        token: a.accessToken,
        body: { name: 'badword club', memberIds: [b.userId, c.userId] },
      });
      expect(group.body.code).to.equal(40111);
      await root.ok('PUT', '/api/v1/admin/sensitive-words', { words: [], action: 'mask' });
    });

    it('reads a conversation for moderation and recalls any message', async () => {
      const [a, b] = [await registerUser(api), await registerUser(api)];
      await befriend(api, a, b);
      const [wsA, wsB] = [await connect(a), await connect(b)];
      const ack = await wsA.sendMessage(b.userId, 'please delete me');
      const history = await root.ok<{ messages: Array<{ messageId: string }> }>(
        'GET',
        `/api/v1/admin/messages?sessionId=${ack.data.sessionId}`,
      );
      expect(history.messages.map((m) => m.messageId)).to.include(ack.data.messageId);
      await root.ok('POST', `/api/v1/admin/messages/${ack.data.messageId}/recall`, { reason: 'abuse' });
      const recalled = await wsB.next((f: Frame) => f.type === 'MESSAGE_RECALLED');
      expect(recalled.data.messageId).to.equal(ack.data.messageId);
      const again = await root.call('POST', `/api/v1/admin/messages/${ack.data.messageId}/recall`, {});
      expect(again.body.code).to.equal(50102);
      expect((await root.call('GET', '/api/v1/admin/messages?sessionId=x_1')).body.code).to.equal(1);
    });

    it('lists, shows and dismisses groups', async () => {
      const [owner, m1, m2] = [await registerUser(api), await registerUser(api), await registerUser(api)];
      await befriendAll(api, owner, [m1, m2]);
      const group = await api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: owner.accessToken,
        body: { name: 'moderated group', memberIds: [m1.userId, m2.userId] },
      });
      const listed = await root.ok<{ items: Array<{ groupId: string; memberCount: number }> }>(
        'GET',
        '/api/v1/admin/groups?keyword=moderated',
      );
      expect(listed.items.find((g) => g.groupId === group.groupId)?.memberCount).to.equal(3);
      await root.ok('DELETE', `/api/v1/admin/groups/${group.groupId}/members/${m2.userId}`);
      const detail = await root.ok<{ members: Array<{ userId: string }> }>(
        'GET',
        `/api/v1/admin/groups/${group.groupId}`,
      );
      expect(detail.members.map((m) => m.userId)).to.have.members([owner.userId, m1.userId]);
      await root.ok('POST', `/api/v1/admin/groups/${group.groupId}/dismiss`, { reason: 'fraud' });
      expect(
        (await root.call('POST', `/api/v1/admin/groups/${group.groupId}/dismiss`, {})).body.code,
      ).to.equal(40102);
      expect((await root.call('GET', '/api/v1/admin/groups/99')).body.code).to.equal(40101);
    });
  });

  describe('statistics, configuration and audit', () => {
    it('reflects a known workload', async () => {
      const before = await root.ok<{
        users: { total: number; newToday: number };
        messages: { byContentType: Record<string, number> };
      }>('GET', '/api/v1/admin/stats');
      const [a, b] = [await registerUser(api), await registerUser(api)];
      await befriend(api, a, b);
      const wsA = await connect(a);
      await connect(b);
      for (let i = 0; i < 3; i++) await wsA.sendMessage(b.userId, `counted ${i}`);
      const after = await eventually('stats show the workload', async () => {
        const stats = await root.ok<{
          users: { total: number; newToday: number; active24h: number };
          connections: { total: number; gateways: Array<{ connections: number }> };
          messages: { lastMinute: number; byContentType: Record<string, number> };
          groups: { total: number };
        }>('GET', '/api/v1/admin/stats');
        return stats.connections.total >= 2 ? stats : undefined;
      });
      expect(after.users.total - before.users.total).to.equal(2);
      expect(after.users.newToday - before.users.newToday).to.equal(2);
      expect((after.messages.byContentType.text ?? 0) - (before.messages.byContentType.text ?? 0)).to.equal(
        3,
      );
      expect(after.messages.lastMinute).to.be.at.least(1);
      expect(after.connections.gateways).to.have.length(1);
    });

    it('stores system configuration and refuses bad keys', async () => {
      await root.ok('PUT', '/api/v1/admin/config/basic.siteName', { value: 'AnyChat Test' });
      const listed = await root.ok<{ items: Array<{ key: string; value: unknown }> }>(
        'GET',
        '/api/v1/admin/config',
      );
      expect(listed.items).to.deep.include.members([
        { ...listed.items.find((i) => i.key === 'basic.siteName')!, value: 'AnyChat Test' },
      ]);
      expect((await root.call('PUT', '/api/v1/admin/config/NoDots', { value: 1 })).body.code).to.equal(1);
      expect((await root.call('PUT', '/api/v1/admin/config/basic.siteName', {})).body.code).to.equal(1);
      await root.ok('DELETE', '/api/v1/admin/config/basic.siteName');
      expect((await root.call('DELETE', '/api/v1/admin/config/basic.siteName')).body.code).to.equal(11);
    });

    it('audits admin actions and chat-user logins, queryable by actor and action', async () => {
      const user = await registerUser(api);
      await loginOf(api, user);
      await api.call('POST', '/api/v1/auth/login', {
        body: { account: user.account, password: 'wrong-password1', deviceType: 'Web', deviceId: 'web-x' },
      });
      await root.ok('POST', `/api/v1/admin/users/${user.userId}/kick`);
      const logins = await eventually('logins are audited', async () => {
        const audit = await root.ok<{
          items: Array<{ action: string; actorType: string; details: Record<string, unknown> }>;
        }>('GET', `/api/v1/admin/audit?userId=${user.userId}`);
        return audit.items.some((i) => i.action === 'user.login.failed') ? audit.items : undefined;
      });
      expect(logins.map((i) => i.action)).to.include.members([
        'user.login',
        'user.login.failed',
        'user.kick',
      ]);
      const byRoot = await root.ok<{ items: Array<{ actorName: string }> }>(
        'GET',
        '/api/v1/admin/audit?actor=root&since=1h',
      );
      expect(byRoot.items.length).to.be.greaterThan(5);
      expect(byRoot.items.every((i) => i.actorName === 'root')).to.equal(true);
      expect((await root.call('GET', '/api/v1/admin/audit?since=yesterday')).body.code).to.equal(1);
    });
  });
});
