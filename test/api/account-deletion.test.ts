import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { strFromU8, unzipSync } from 'fflate';
import { AccountStatusCodes, AuthTopics } from '../../services/platform/contracts/index.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { EventPublisher } from '../../services/platform/events/index.ts';
import { uploadSimple } from '../file/files-client.ts';
import type { ApiClient } from '../support/api-client.ts';
import { registerUser, uniqueAccount } from '../support/api-client.ts';
import { befriend, type User } from '../support/chat.ts';
import { CodeGateway } from '../support/code-gateway.ts';
import { eventually } from '../support/eventually.ts';
import { forEachBackend, startPlatform, type TestPlatform } from '../support/platform.ts';
import { serviceSql } from '../support/service-sql.ts';
import { WsClient } from '../support/ws-client.ts';

interface ExportView {
  exportId: string;
  status: string;
}
interface Member {
  userId: string;
  role: string;
}

const login = (api: ApiClient, user: User, deviceId = `web-${user.account}-again`) =>
  api.call<{ userId: string; accessToken: string; deletionCancelled?: boolean }>(
    'POST',
    '/api/v1/auth/login',
    {
      body: { account: user.account, password: user.password, deviceType: 'Web', deviceId },
    },
  );

/** A ready export of the user's and a download link to it, as a user about to leave asks for them. */
async function exportLink(
  api: ApiClient,
  user: User,
): Promise<{ url: string; read: () => Promise<Record<string, unknown>> }> {
  const started = await api.ok<ExportView>('POST', '/api/v1/users/me/export', { token: user.accessToken });
  await eventually(`export ${started.exportId} ready`, async () => {
    const view = await api.ok<ExportView>('GET', `/api/v1/users/me/export/${started.exportId}`, {
      token: user.accessToken,
    });
    expect(view.status).to.be.oneOf(['pending', 'ready']);
    return view.status === 'ready';
  });
  const { url } = await api.ok<{ url: string }>('POST', `/api/v1/users/me/export/${started.exportId}/link`, {
    token: user.accessToken,
  });
  return {
    url,
    read: async () => {
      const response = await fetch(url);
      expect(response.status).to.equal(200);
      const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
      return Object.fromEntries(
        Object.entries(files).map(([name, bytes]) => [
          name,
          name.endsWith('.json') ? JSON.parse(strFromU8(bytes)) : strFromU8(bytes),
        ]),
      );
    },
  };
}

const requestDeletion = (api: ApiClient, user: User, body: Record<string, unknown>) =>
  api.call<{ deletesAt: string; deleted: boolean }>('POST', '/api/v1/users/me/deletion', {
    token: user.accessToken,
    body,
  });

const filesDir = mkdtempSync(join(tmpdir(), 'anychat-deletion-files-'));
after(() => rmSync(filesDir, { recursive: true, force: true }));

forEachBackend(
  'account deletion, immediate (no grace period)',
  (platform) => {
    const api = () => platform().api;

    it('re-authenticates, then removes the account from friends, groups, devices, storage and exports; its messages stay, anonymised', async () => {
      const alice = await registerUser(api(), { nickname: 'Leaving Alice' });
      const bob = await registerUser(api(), { nickname: 'Staying Bob' });
      const carol = await registerUser(api(), { nickname: 'Staying Carol' });
      await befriend(api(), alice, bob);
      await befriend(api(), alice, carol);
      await befriend(api(), bob, carol);
      // A group Alice owns with Carol as its admin, and one of Bob's she is a member of.
      const owned = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: alice.accessToken,
        body: { name: 'Alice owns', memberIds: [bob.userId, carol.userId] },
      });
      await api().ok('POST', `/api/v1/groups/${owned.groupId}/admins`, {
        token: alice.accessToken,
        body: { userId: carol.userId },
      });
      const bobs = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: bob.accessToken,
        body: { name: 'Bob owns', memberIds: [alice.userId, carol.userId] },
      });
      // A stranger's request waiting for Alice (she verifies requests).
      const stranger = await registerUser(api());
      const pending = await api().ok<{ requestId: string; status: string }>(
        'POST',
        '/api/v1/friends/requests',
        {
          token: stranger.accessToken,
          body: { userId: alice.userId, message: 'hi', source: 'search' },
        },
      );
      expect(pending.status).to.equal('pending');
      const ws = await WsClient.connect(platform().host.url, alice.accessToken);
      const ack = await ws.sendMessage(bob.userId, 'a message that outlives its sender');
      expect(ack.type).to.equal('SEND_ACK');
      const uploaded = await uploadSimple(api(), alice.accessToken, 'chat_file', {
        bytes: new TextEncoder().encode('the bytes of a file that goes with its owner'),
        name: 'notes.txt',
        claimedType: 'text/plain',
      });
      expect(uploaded.status, JSON.stringify(uploaded.body)).to.equal(200);
      await api().ok('POST', '/api/v1/users/push-token', {
        token: alice.accessToken,
        body: { pushToken: 'a'.repeat(64), platform: 'iOS' },
      });
      await eventually('push registration copied to the push service', async () => {
        const rows = await serviceSql<{ removed: boolean }>(
          platform().host.databaseUrl,
          'push',
          'select "removed" from "push"."push_registrations" where "user_id" = ?',
          [alice.userId],
        );
        return rows.length === 1 && !rows[0]!.removed;
      });
      expect(readdirSync(filesDir, { recursive: true }).length).to.be.greaterThan(0);

      // The export before leaving holds groups and uploaded files too.
      const archive = await exportLink(api(), alice);
      const exported = await archive.read();
      const groups = exported['groups.json'] as Array<{
        groupId: string;
        name: string;
        role: string;
        joinedAt: string;
      }>;
      expect(groups.map((g) => [g.groupId, g.name, g.role])).to.have.deep.members([
        [owned.groupId, 'Alice owns', 'owner'],
        [bobs.groupId, 'Bob owns', 'member'],
      ]);
      expect(groups.every((g) => !Number.isNaN(Date.parse(g.joinedAt)))).to.equal(true);
      const files = exported['files.json'] as Array<Record<string, unknown>>;
      expect(files).to.have.length(1);
      expect(files[0]).to.include({
        fileId: uploaded.body.data.fileId,
        fileName: 'notes.txt',
        fileSize: uploaded.body.data.size,
        fileType: 'chat_file',
      });
      expect(files[0]!.createdAt).to.be.a('string');

      // Without the right proof nothing changes.
      const wrong = await requestDeletion(api(), alice, { password: 'not-the-password1' });
      expect(wrong.body.code).to.equal(ErrorCode.WRONG_PASSWORD);
      const none = await requestDeletion(api(), alice, {});
      expect(none.body.code).to.equal(ErrorCode.INVALID_PARAMS);
      const foreign = await api().call('POST', '/api/v1/users/me/deletion', {
        body: { password: alice.password },
      });
      expect(foreign.body.code).to.equal(ErrorCode.UNAUTHENTICATED);
      expect((await api().call('GET', '/api/v1/users/me', { token: alice.accessToken })).status).to.equal(
        200,
      );
      expect((await fetch(archive.url)).status, 'the export link still works').to.equal(200);

      const deleted = await requestDeletion(api(), alice, { password: alice.password });
      expect(deleted.body.code, JSON.stringify(deleted.body)).to.equal(0);
      expect(deleted.body.data.deleted).to.equal(true);

      const logout = await ws.next((f) => f.type === 'FORCE_LOGOUT', 10_000);
      expect(logout.data.reason).to.equal('account_deleted');
      await ws.closed();
      expect((await api().call('GET', '/api/v1/users/me', { token: alice.accessToken })).status).to.equal(
        401,
      );
      const signIn = await login(api(), alice);
      expect(signIn.status).to.equal(403);
      expect(signIn.body.code).to.equal(ErrorCode.ACCOUNT_ABNORMAL);

      await eventually(
        'every service cleaned up after the account',
        async () => {
          const bobsFriends = await api().ok<{ friends: Array<{ userId: string }> }>(
            'GET',
            '/api/v1/friends',
            {
              token: bob.accessToken,
            },
          );
          if (bobsFriends.friends.some((f) => f.userId === alice.userId)) return false;
          const members = await api().ok<{ members: Member[] }>(
            'GET',
            `/api/v1/groups/${owned.groupId}/members`,
            {
              token: bob.accessToken,
            },
          );
          if (members.members.some((m) => m.userId === alice.userId)) return false;
          const others = await api().ok<{ members: Member[] }>(
            'GET',
            `/api/v1/groups/${bobs.groupId}/members`,
            {
              token: bob.accessToken,
            },
          );
          if (others.members.some((m) => m.userId === alice.userId)) return false;
          const file = await api().call('GET', `/api/v1/files/${uploaded.body.data.fileId}`, {
            token: alice.accessToken,
          });
          expect(file.status).to.equal(401);
          const [fileRow] = await serviceSql<{ status: string }>(
            platform().host.databaseUrl,
            'file',
            'select "status" from "file"."files" where "file_id" = ?',
            [uploaded.body.data.fileId],
          );
          if (fileRow?.status !== 'deleted') return false;
          const [push] = await serviceSql<{ removed: boolean }>(
            platform().host.databaseUrl,
            'push',
            'select "removed" from "push"."push_registrations" where "user_id" = ?',
            [alice.userId],
          );
          return push?.removed === true && (await fetch(archive.url)).status === 404;
        },
        20_000,
      );

      // A request to or from a deleted account can no longer make a friendship.
      const [request] = await serviceSql<{ status: string }>(
        platform().host.databaseUrl,
        'friend',
        'select "status" from "friend"."friend_requests" where "id" = ?',
        [pending.requestId],
      );
      expect(request?.status).to.equal('expired');
      // The longest-standing admin owns Alice's group now.
      const members = await api().ok<{ members: Member[] }>(
        'GET',
        `/api/v1/groups/${owned.groupId}/members`,
        {
          token: bob.accessToken,
        },
      );
      expect(members.members.find((m) => m.userId === carol.userId)?.role).to.equal('owner');
      expect(members.members.find((m) => m.userId === bob.userId)?.role).to.equal('member');
      // The stored bytes went with the file (FILE_BLOB_GRACE_SECONDS=0 here).
      await eventually('bytes removed from storage', async () => {
        return readdirSync(filesDir, { recursive: true, withFileTypes: true }).every(
          (entry) => !entry.isFile(),
        );
      });

      // Bob still has the message, from an account that shows as deleted.
      const offline = await api().ok<{ messages: Array<{ senderId: string; content: unknown }> }>(
        'GET',
        '/api/v1/messages/offline?lastSeq=0',
        { token: bob.accessToken },
      );
      expect(
        offline.messages.some(
          (m) => m.senderId === alice.userId && JSON.stringify(m.content).includes('outlives'),
        ),
      ).to.equal(true);
      const shown = await api().ok<{ nickname: string; avatar: string | null; accountDeleted: boolean }>(
        'GET',
        `/api/v1/users/${alice.userId}`,
        { token: bob.accessToken },
      );
      expect(shown).to.include({ nickname: 'Deleted account', avatar: null, accountDeleted: true });
      // The account name stays taken: nobody can register it to pass for the former owner.
      const again = await api().call('POST', '/api/v1/auth/register', {
        body: { account: alice.account, password: 'passw0rdOK', deviceType: 'Web', deviceId: 'web-impostor' },
      });
      expect(again.body.code).to.equal(ErrorCode.USER_EXISTS);
      // A redelivered deletion event changes nothing more and fails nowhere (every handler is idempotent).
      await new EventPublisher(platform().bus.port('auth'), platform().pubsubName).publish(
        AuthTopics.accountStatusChanged,
        { userId: alice.userId, status: AccountStatusCodes.DELETED },
      );
      await platform().bus.idle();
      const after = await api().ok<{ members: Member[] }>('GET', `/api/v1/groups/${owned.groupId}/members`, {
        token: bob.accessToken,
      });
      expect(after.members.map((m) => [m.userId, m.role])).to.have.deep.members([
        [bob.userId, 'member'],
        [carol.userId, 'owner'],
      ]);
      // An id nobody has is 20103.
      const unknown = await api().call('GET', '/api/v1/users/123456789012345678', { token: bob.accessToken });
      expect(unknown.status).to.equal(404);
      expect(unknown.body.code).to.equal(ErrorCode.USER_UNKNOWN);
    });

    it('dismisses a group the deleted account was left alone in', async () => {
      const dave = await registerUser(api());
      const erin = await registerUser(api());
      const frank = await registerUser(api());
      await befriend(api(), dave, erin);
      await befriend(api(), dave, frank);
      const group = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: dave.accessToken,
        body: { name: 'Soon alone', memberIds: [erin.userId, frank.userId] },
      });
      for (const member of [erin, frank])
        await api().ok('DELETE', `/api/v1/groups/${group.groupId}/members/${member.userId}`, {
          token: dave.accessToken,
        });
      const deleted = await requestDeletion(api(), dave, { password: dave.password });
      expect(deleted.body.data.deleted).to.equal(true);
      await eventually('group dismissed', async () => {
        const [row] = await serviceSql<{ status: number }>(
          platform().host.databaseUrl,
          'group',
          'select "status" from "group"."groups" where "id" = ?',
          [group.groupId],
        );
        return row?.status === 0;
      });
    });
  },
  { ACCOUNT_DELETION_GRACE_SECONDS: '0', FILE_BLOB_GRACE_SECONDS: '0', FILE_LOCAL_DIR: filesDir },
);

forEachBackend(
  'account deletion with a grace period',
  (platform) => {
    const api = () => platform().api;
    const p = (): TestPlatform => platform();

    it('signs every device out; signing in again cancels the deletion and says so', async () => {
      const grace = await registerUser(api());
      const ws = await WsClient.connect(p().host.url, grace.accessToken);
      const requested = await requestDeletion(api(), grace, { password: grace.password });
      expect(requested.body.data.deleted).to.equal(false);
      expect(Date.parse(requested.body.data.deletesAt)).to.be.greaterThan(Date.now());
      const logout = await ws.next((f) => f.type === 'FORCE_LOGOUT', 10_000);
      expect(logout.data.reason).to.equal('account_deleted');
      expect((await api().call('GET', '/api/v1/users/me', { token: grace.accessToken })).status).to.equal(
        401,
      );

      const back = await login(api(), grace);
      expect(back.body.code).to.equal(0);
      expect(back.body.data.deletionCancelled).to.equal(true);
      // Past the grace period the account is still there; the next sign-in says nothing more.
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      const later = await login(api(), grace, 'web-later');
      expect(later.body.code).to.equal(0);
      expect(later.body.data.deletionCancelled).to.equal(undefined);
    });

    it('deletes the account once the grace period ends; its export link works until then', async () => {
      const leaving = await registerUser(api());
      const archive = await exportLink(api(), leaving);
      const requested = await requestDeletion(api(), leaving, { password: leaving.password });
      expect(requested.body.data.deleted).to.equal(false);
      expect((await fetch(archive.url)).status, 'link works during the grace period').to.equal(200);
      // Polled in auth's table, not by signing in: a sign-in would cancel the deletion.
      await eventually(
        'deleted after the grace period',
        async () => {
          const [row] = await serviceSql<{ status: number }>(
            p().host.databaseUrl,
            'auth',
            'select "status" from "auth"."users" where "user_id" = ?',
            [leaving.userId],
          );
          return row?.status === 3;
        },
        20_000,
      );
      expect((await login(api(), leaving)).body.code).to.equal(ErrorCode.ACCOUNT_ABNORMAL);
      await eventually('export link ended', async () => (await fetch(archive.url)).status === 404);
    });
  },
  { ACCOUNT_DELETION_GRACE_SECONDS: '3' },
);

describe('account deletion proved by a sign-in code [pglite]', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  let gateway: CodeGateway;

  before(async () => {
    gateway = await CodeGateway.start();
    platform = await startPlatform('pglite', {
      AUTH_CODE_WEBHOOK_URL: gateway.url,
      AUTH_CODE_RESEND_SECONDS: '0',
      ACCOUNT_DELETION_GRACE_SECONDS: '0',
    });
  });
  after(async () => {
    await platform?.stop();
    gateway?.close();
  });

  it('takes a fresh code sent to the account instead of the password, and refuses a wrong one', async () => {
    const api = platform.api;
    const email = `${uniqueAccount('leave')}@example.com`;
    await api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'register' } });
    const user = await registerUser(api, { email, verifyCode: gateway.lastTo(email).code });
    await api.ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'login' } });
    const code = gateway.lastTo(email);
    expect(code.purpose).to.equal('login');
    const wrong = await requestDeletion(api, user, {
      verifyCode: code.code === '000000' ? '111111' : '000000',
    });
    expect(wrong.body.code).to.equal(ErrorCode.VERIFY_CODE_WRONG);
    expect((await api.call('GET', '/api/v1/users/me', { token: user.accessToken })).status).to.equal(200);
    const deleted = await requestDeletion(api, user, { verifyCode: code.code });
    expect(deleted.body.code, JSON.stringify(deleted.body)).to.equal(0);
    expect(deleted.body.data.deleted).to.equal(true);
    expect((await login(api, user)).body.code).to.equal(ErrorCode.ACCOUNT_ABNORMAL);
  });
});
