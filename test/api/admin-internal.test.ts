import { toJsonString } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { expect } from 'chai';
import pg from 'pg';
import { AccountsClient } from '../../services/admin/clients/auth.ts';
import { GroupsClient } from '../../services/admin/clients/groups.ts';
import { MessagesClient } from '../../services/admin/clients/messages.ts';
import { AuthAdminService } from '../../services/platform/contracts/gen/anychat/auth/v1/auth_pb.ts';
import {
  type LoginRecorded,
  LoginRecordedSchema,
} from '../../services/platform/contracts/gen/anychat/auth/v1/events_pb.ts';
import {
  AccountStatusCodes,
  AdminTopics,
  GATEWAY_CONNECTIONS_KEY,
  type GatewayConnectionsReport,
  SENSITIVE_WORDS_KEY,
  type SensitiveWordsPolicy,
  SYSTEM_SENDER,
} from '../../services/platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../services/platform/errors.ts';
import { eventSubscription } from '../../services/platform/events/index.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { registerUser, uniqueAccount } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, befriendAll, friendsOnline, startExtraGateway } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { clientMsgId, type Frame, WsClient } from '../support/ws-client.ts';

type User = Awaited<ReturnType<typeof registerUser>>;

/** The internal methods the admin service calls, called here as it would (service invocation). */
describe('admin internal methods of auth, group, message and gateway [postgresql]', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', {
      // Every message is past its recall window: only the administrator can still recall it.
      MESSAGE_RECALL_WINDOW_SECONDS: '0',
      SENSITIVE_WORDS_REFRESH_MS: '0',
      GATEWAY_REPORT_INTERVAL_SECONDS: '1',
      GROUP_MAX_MEMBERS: '10',
    });
  });
  after(async () => {
    await platform?.stop();
  });

  const api = () => platform.api;
  const url = () => platform.host.url;
  // The clients the admin service calls auth and message through (typed by the contracts).
  const accounts = () => new AccountsClient(platform.invoker);
  const messages = () => new MessagesClient(platform.invoker);
  const groups = () => new GroupsClient(platform.invoker);
  const refusedWith = async (call: Promise<unknown>, code: number) => {
    try {
      await call;
    } catch (error) {
      expect(error).to.be.instanceOf(AppError);
      expect((error as AppError).code, String(error)).to.equal(code);
      return;
    }
    expect.fail(`expected a refusal with ${code}`);
  };
  const login = (account: string, password: string, headers: Record<string, string> = {}) =>
    api().call('POST', '/api/v1/auth/login', {
      body: { account, password, deviceType: 'PC', deviceId: `pc-${account}` },
      headers,
    });
  const notification = (ws: WsClient, kind: string) =>
    ws.next((f: Frame) => f.type === 'NOTIFICATION' && f.data.kind === kind, 10_000);

  describe('accounts (auth)', () => {
    it('walks account ids in numeric order whatever their number of digits (broadcast cursor)', async () => {
      const db = new pg.Client({ connectionString: platform.backend.env.DATABASE_URL });
      await db.connect();
      try {
        // Ids of other lengths than today's snowflakes (imported accounts): '42' sorts last as text.
        await db.query(
          `insert into auth.users (user_id, account, password_hash, status, password_changed_at, created_at, updated_at)
           values (42, 'shortid42', 'x', 1, now(), now(), now()),
                  (117000000000000000, 'longid117', 'x', 1, now(), now(), now())`,
        );
        const userIds = await accounts().activeIds('0', 1000);
        expect(userIds[0]).to.equal('42');
        const numeric = userIds.map(BigInt);
        expect(numeric.every((id, i) => i === 0 || numeric[i - 1]! < id)).to.equal(true);
      } finally {
        await db.query('delete from auth.users where user_id in (42, 117000000000000000)');
        await db.end();
      }
    });

    it('pages, filters and counts accounts; lists active ids in numeric order', async () => {
      const epoch = new Date(0);
      const before = await accounts().stats({ newSince: epoch, activeSince: epoch });
      const since = new Date(Date.now() - 1000);
      const prefix = uniqueAccount('adl');
      const users: User[] = [];
      for (const [index, extra] of [{}, { email: `${prefix}@Example.com` }, {}].entries())
        users.push(await registerUser(api(), { account: `${prefix}x${index}`, ...extra }));
      const [u0, u1, u2] = users as [User, User, User];

      const page = await accounts().list({
        keyword: prefix.toUpperCase(),
        offset: 0,
        limit: 10,
      });
      expect(page.total).to.equal(3);
      expect(
        page.items.map((item) => item.userId),
        'newest first',
      ).to.deep.equal([u2.userId, u1.userId, u0.userId]);
      expect(page.items[1]).to.include({
        account: u1.account,
        email: `${prefix}@example.com`,
        state: 'active',
      });
      expect(page.items[1]!.lastLoginAt, 'registering signed the device in').to.be.a('string');
      const second = await accounts().list({ keyword: prefix, offset: 1, limit: 1 });
      expect(second).to.deep.equal({ total: 3, items: [page.items[1]] });
      // Wildcards are literal: `prefix%` names no account.
      for (const keyword of [`${prefix}%`, `${prefix}_`])
        expect((await accounts().list({ keyword, offset: 0, limit: 10 })).total).to.equal(0);

      await accounts().setStatus(u1.userId, AccountStatusCodes.DISABLED);
      const banned = await accounts().list({
        keyword: prefix,
        state: 'banned',
        offset: 0,
        limit: 10,
      });
      expect(banned.items.map((item) => [item.userId, item.state])).to.deep.equal([[u1.userId, 'banned']]);
      const active = await accounts().list({
        keyword: prefix,
        state: 'active',
        offset: 0,
        limit: 10,
      });
      expect(active.total).to.equal(2);

      const userIds = await accounts().activeIds(u0.userId, 1000);
      expect(userIds).to.include(u2.userId);
      expect(userIds).not.to.include(u0.userId, 'the cursor itself is not repeated');
      expect(userIds).not.to.include(u1.userId, 'banned accounts get no broadcast');
      const numeric = userIds.map(BigInt);
      expect(numeric.every((id, i) => i === 0 || numeric[i - 1]! < id)).to.equal(true);
      expect(await accounts().activeIds('0', 2)).to.have.length(2);

      const stats = await accounts().stats({ newSince: since, activeSince: since });
      expect(stats).to.include({ newSince: 3, activeSince: 3 });
      const all = await accounts().stats({ newSince: epoch, activeSince: epoch });
      expect(all.total - before.total).to.equal(3);

      await refusedWith(
        platform.invoker.call(AuthAdminService.method.getAccountStats, {
          newSince: 'yesterday',
          activeSince: epoch.toISOString(),
        }),
        ErrorCode.INVALID_PARAMS,
      );
      await refusedWith(accounts().list({ offset: 0, limit: 201 }), ErrorCode.INVALID_PARAMS);
      await refusedWith(accounts().detail('999999999999'), ErrorCode.USER_NOT_FOUND);
    });

    it('kicks every device of an account: FORCE_LOGOUT admin_kick, and shows its devices before', async () => {
      const user = await registerUser(api());
      const ws = await WsClient.connect(url(), user.accessToken);
      const detail = await accounts().detail(user.userId);
      expect(detail).to.include({ userId: user.userId, account: user.account, state: 'active' });
      expect(detail.devices.map((d) => [d.deviceId, d.deviceType])).to.deep.equal([
        [`web-${user.account}`, 'Web'],
      ]);
      expect(detail.devices[0]!.ip).to.be.a('string');

      const kicked = await accounts().kick(user.userId);
      expect(kicked).to.deep.equal({ devices: 1 });
      const logout = await ws.next((f) => f.type === 'FORCE_LOGOUT', 10_000);
      expect(logout.data.reason).to.equal('admin_kick');
      expect(await ws.closed()).to.equal(4003);
      const after = await accounts().detail(user.userId);
      expect(after.devices).to.deep.equal([]);
      // The account itself is fine: its owner signs in again.
      expect((await login(user.account, user.password)).body.code).to.equal(0);
    });

    it('deletes an account: FORCE_LOGOUT account_deleted; login answers 10117 to the right password, as for an unknown account to a wrong one', async () => {
      const user = await registerUser(api());
      const ws = await WsClient.connect(url(), user.accessToken);
      await accounts().delete(user.userId);
      const logout = await ws.next((f) => f.type === 'FORCE_LOGOUT', 10_000);
      expect(logout.data.reason).to.equal('account_deleted');

      const rightPassword = await login(user.account, user.password);
      expect(rightPassword.status).to.equal(403);
      expect(rightPassword.body.code).to.equal(ErrorCode.ACCOUNT_ABNORMAL);
      const deleted = await login(user.account, `${user.password}x`);
      const unknown = await login(uniqueAccount('nobody'), user.password);
      expect(deleted.status).to.equal(401);
      expect(deleted.body.code).to.equal(ErrorCode.WRONG_PASSWORD);
      expect(deleted.body.message).to.equal(unknown.body.message);
      expect(deleted.body.data).to.deep.equal(unknown.body.data);
      const token = await api().call('GET', '/api/v1/users/me', { token: user.accessToken });
      expect(token.status, 'its access token stopped working').to.equal(401);

      // Deleting again changes nothing; the account shows as deleted and gets no broadcasts.
      await accounts().delete(user.userId);
      const detail = await accounts().detail(user.userId);
      expect(detail).to.include({ state: 'deleted' });
      expect(detail.devices).to.deep.equal([]);
      const listed = await accounts().list({
        keyword: user.account,
        state: 'deleted',
        offset: 0,
        limit: 10,
      });
      expect(listed.items.map((item) => item.userId)).to.deep.equal([user.userId]);
      const userIds = await accounts().activeIds((BigInt(user.userId) - 1n).toString(), 1);
      expect(userIds).not.to.include(user.userId);
      // A deleted account cannot be brought back by a status change.
      await refusedWith(
        accounts().setStatus(user.userId, AccountStatusCodes.ACTIVE),
        ErrorCode.USER_NOT_FOUND,
      );
      await refusedWith(accounts().delete('999999999999'), ErrorCode.USER_NOT_FOUND);
    });

    it('records every login attempt for the audit log, without the password', async () => {
      const records: LoginRecorded[] = [];
      const stop = platform.bus.subscribe(
        'test-observer',
        eventSubscription({
          pubsubName: platform.pubsubName,
          topic: AdminTopics.loginRecorded,
          logger: createLogger('silent'),
          handle: async (record) => records.push(record),
        }),
      );
      try {
        const user = await registerUser(api());
        const headers = { 'user-agent': 'admin-test/1.0' };
        await login(user.account, 'wrongPassw0rd', headers);
        await login(user.account.toUpperCase(), user.password, headers);
        const nobody = uniqueAccount('nobody');
        await login(nobody, user.password, headers);
        const mine = await eventually('three login records', async () => {
          const found = records.filter((r) => r.account === user.account || r.account === nobody);
          return found.length >= 3 ? found : undefined;
        });
        const byOutcome = (failure: string | undefined) => mine.find((r) => r.failure === failure);
        expect(byOutcome('wrong_password')).to.include({
          userId: user.userId,
          success: false,
          deviceType: 'PC',
        });
        expect(byOutcome(undefined)).to.include({
          userId: user.userId,
          account: user.account,
          success: true,
          deviceId: `pc-${user.account.toUpperCase()}`,
          userAgent: 'admin-test/1.0',
        });
        expect(byOutcome('unknown_account')).to.include({ account: nobody, success: false });
        expect(byOutcome('unknown_account')!.userId).to.equal(undefined);

        // Past the failure limit, the throttle answers before the password is looked at: still recorded.
        const target = await registerUser(api());
        for (let i = 0; i < 5; i++) await login(target.account, 'wrongPassw0rd');
        const locked = await login(target.account, target.password);
        expect(locked.body.code).to.equal(ErrorCode.TOO_MANY_REQUESTS);
        const lockedRecord = await eventually('a locked login record', async () =>
          records.find((r) => r.account === target.account && r.failure === 'locked'),
        );
        expect(lockedRecord).to.include({ userId: target.userId, success: false });
        for (const record of mine) {
          expect(record.ip).to.be.a('string').and.not.equal('');
          expect(timestampMs(record.at!)).to.be.closeTo(Date.now(), 60_000);
          expect(toJsonString(LoginRecordedSchema, record)).not.to.contain(user.password);
          expect(toJsonString(LoginRecordedSchema, record)).not.to.contain('wrongPassw0rd');
        }
      } finally {
        stop();
      }
    });
  });

  describe('groups (group)', () => {
    const createGroup = async (name: string) => {
      const [owner, a, b, c] = [
        await registerUser(api(), { nickname: 'Owner' }),
        await registerUser(api(), { nickname: 'Ann' }),
        await registerUser(api(), { nickname: 'Ben' }),
        await registerUser(api(), { nickname: 'Cid' }),
      ] as [User, User, User, User];
      await befriendAll(api(), owner, [a, b, c]);
      const group = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: owner.accessToken,
        body: { name, memberIds: [a.userId, b.userId, c.userId] },
      });
      return { owner, a, b, c, groupId: group.groupId };
    };

    it('lists, shows, removes a member and dismisses a group as the platform administrator', async () => {
      const before = await groups().stats(new Date());
      const name = uniqueAccount('Moderated');
      const { owner, a, b, c, groupId } = await createGroup(name);
      const ws = await WsClient.connect(url(), b.accessToken);
      try {
        const listed = await groups().list({ keyword: name.toLowerCase(), offset: 0, limit: 10 });
        expect(listed.total).to.equal(1);
        expect(listed.items[0]).to.include({
          groupId,
          name,
          ownerId: owner.userId,
          memberCount: 4,
          dismissed: false,
        });
        const byId = await groups().list({ keyword: groupId, offset: 0, limit: 10 });
        expect(byId.total).to.equal(1);

        await refusedWith(groups().removeMember(groupId, owner.userId), ErrorCode.GROUP_CANNOT_REMOVE_OWNER);
        await refusedWith(groups().removeMember(groupId, '999999999999'), ErrorCode.GROUP_NOT_MEMBER);
        await groups().removeMember(groupId, c.userId);
        const removed = await notification(ws, 'group.member.removed');
        expect(removed.data.payload).to.include({
          groupId,
          userId: c.userId,
          removedBy: SYSTEM_SENDER,
          byAdministrator: true,
          memberCount: 3,
        });
        const notice = await ws.next(
          (f) =>
            f.type === 'NEW_MESSAGE' &&
            f.data.contentType === 'system' &&
            f.data.content.kind === 'group.member.removed',
          10_000,
        );
        expect(notice.data.content.text).to.equal('The platform administrator removed Cid from the group');

        const detail = await groups().detail(groupId);
        expect(detail).to.include({ groupId, memberCount: 3, dismissed: false, announcement: null });
        expect(detail.members.map((m) => [m.userId, m.role])).to.deep.equal(
          [[owner.userId, 'owner'], ...[a.userId, b.userId].sort().map((id) => [id, 'member'])].sort(
            (x, y) => (x[1] === 'owner' ? -1 : y[1] === 'owner' ? 1 : 0),
          ),
        );

        // A group message, recalled by the administrator: every member is told.
        const sent = await api().ok<{ messageId: string }>('POST', '/api/v1/messages', {
          token: owner.accessToken,
          body: {
            sessionType: 'group',
            targetId: groupId,
            contentType: 'text',
            content: 'to be recalled',
            clientMsgId: clientMsgId(),
          },
        });
        expect(await messages().recall(sent.messageId)).to.deep.equal({
          messageId: sent.messageId,
          sessionId: `g_${groupId}`,
        });
        const recalled = await ws.next(
          (f) => f.type === 'MESSAGE_RECALLED' && f.data.messageId === sent.messageId,
          10_000,
        );
        expect(recalled.data).to.include({ recalledBy: SYSTEM_SENDER, byAdministrator: true });

        await groups().dismiss(groupId, 'spam');
        const dismissed = await notification(ws, 'group.dismissed');
        expect(dismissed.data.payload).to.include({
          groupId,
          dismissedBy: SYSTEM_SENDER,
          byAdministrator: true,
          reason: 'spam',
        });
        await refusedWith(groups().dismiss(groupId, 'again'), ErrorCode.GROUP_DISMISSED);
        await refusedWith(groups().removeMember(groupId, a.userId), ErrorCode.GROUP_DISMISSED);
        const gone = await api().call('GET', `/api/v1/groups/${groupId}`, { token: a.accessToken });
        expect(gone.body.data).to.include({ dismissed: true });
        const after = await groups().detail(groupId);
        expect(after.dismissed).to.equal(true);
        expect(after.members, 'the members it had when dismissed').to.have.length(3);

        const stats = await groups().stats(new Date(Date.now() - 60_000));
        expect(stats.total - before.total).to.equal(1);
        expect(stats.active).to.equal(before.active);
        expect(stats.newSince).to.be.at.least(1);
        await refusedWith(groups().detail('999999999999'), ErrorCode.GROUP_NOT_FOUND);
        await refusedWith(groups().dismiss('999999999999', 'x'), ErrorCode.GROUP_NOT_FOUND);
      } finally {
        await ws.close();
      }
    });
  });

  describe('messages (message)', () => {
    it('recalls an old message as the administrator; the peer gets MESSAGE_RECALLED', async () => {
      const { a, b, wsA, wsB } = await friendsOnline(platform);
      try {
        const ack = await wsA.sendMessage(b.userId, 'an old message');
        const { messageId, sessionId } = ack.data as { messageId: string; sessionId: string };
        await wsB.waitForMessages(1);
        const own = await api().call('POST', `/api/v1/messages/${messageId}/recall`, {
          token: a.accessToken,
        });
        expect(own.body.code, 'past the recall window for its sender').to.equal(
          ErrorCode.MESSAGE_RECALL_EXPIRED,
        );

        const result = await messages().recall(messageId);
        expect(result).to.deep.equal({ messageId, sessionId });
        const recalled = await wsB.next((f) => f.type === 'MESSAGE_RECALLED', 10_000);
        expect(recalled.data).to.include({
          messageId,
          sessionId,
          recalledBy: SYSTEM_SENDER,
          byAdministrator: true,
        });
        await wsA.next((f) => f.type === 'MESSAGE_RECALLED', 10_000);
        await refusedWith(messages().recall(messageId), ErrorCode.MESSAGE_RECALLED);
        await refusedWith(messages().recall('999999999999'), ErrorCode.MESSAGE_NOT_FOUND);
        // The conversation list shows it recalled (message.recalled reached the session service).
        await eventually('conversation shows the recall', async () => {
          const list = await api().ok<{
            sessions: Array<{ sessionId: string; lastMessage: { recalled: boolean } | null }>;
          }>('GET', '/api/v1/sessions', { token: b.accessToken });
          const row = list.sessions.find((s) => s.sessionId === sessionId);
          return row?.lastMessage?.recalled ? row : undefined;
        });
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it('reads any conversation newest first by beforeSeq, recalled messages flagged', async () => {
      const { a, b, wsA, wsB } = await friendsOnline(platform);
      try {
        const ids: string[] = [];
        for (const text of ['one', 'two', 'three'])
          ids.push((await wsA.sendMessage(b.userId, text)).data.messageId);
        const sessionId = (await wsA.sendMessage(b.userId, 'four')).data.sessionId as string;
        await messages().recall(ids[1]!);
        const first = await messages().history({ sessionId, limit: 2 });
        expect(first.messages.map((m) => [m.seq, m.content])).to.deep.equal([
          [4, 'four'],
          [3, 'three'],
        ]);
        const next = await messages().history({ sessionId, beforeSeq: 3, limit: 200 });
        expect(next.messages.map((m) => [m.seq, m.content, m.recalled])).to.deep.equal([
          [2, null, true],
          [1, 'one', false],
        ]);
        expect(next.messages[1]!.senderId).to.equal(a.userId);
        for (const bad of [
          { sessionId: 'nope', limit: 1 },
          { sessionId, limit: 201 },
        ])
          await refusedWith(messages().history(bad), ErrorCode.INVALID_PARAMS);
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it('counts messages per minute and by content type', async () => {
      const { b, wsA, wsB } = await friendsOnline(platform);
      try {
        await platform.host.settled();
        const before = await messages().stats(5);
        expect(before.perMinute).to.have.length(5);
        await wsA.sendMessage(b.userId, 'text one');
        await wsA.sendMessage(b.userId, 'text two');
        const image = await wsA.sendMessage(
          b.userId,
          { url: 'https://example.com/cat.png', width: 10, height: 10 },
          { contentType: 'image' },
        );
        expect(image.type).to.equal('SEND_ACK');
        const stats = await messages().stats(5);
        expect((stats.byContentType.text ?? 0) - (before.byContentType.text ?? 0)).to.equal(2);
        expect((stats.byContentType.image ?? 0) - (before.byContentType.image ?? 0)).to.equal(1);
        expect(stats.total - before.total).to.equal(3);
        expect(stats.perMinute).to.have.length(5);
        const minutes = stats.perMinute.map((m) => Date.parse(m.minute));
        expect(
          minutes.every((at, i) => i === 0 || at - minutes[i - 1]! === 60_000),
          'consecutive minutes, oldest first',
        ).to.equal(true);
        expect(minutes.at(-1)).to.equal(Math.floor(Date.now() / 60_000) * 60_000);
        const inWindow = stats.perMinute.reduce((sum, m) => sum + m.count, 0);
        expect(inWindow).to.equal(Object.values(stats.byContentType).reduce((sum, n) => sum + n, 0));
        const day = await messages().stats(1440);
        expect(day.perMinute).to.have.length(1440);
        // (A minutes value that is no number cannot be sent at all: the contract's type says int32.)
        for (const minutes of [0, 1441])
          await refusedWith(messages().stats(minutes), ErrorCode.INVALID_PARAMS);
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });
  });

  describe('sensitive words (shared-state policy)', () => {
    const setPolicy = (policy: SensitiveWordsPolicy) =>
      platform.host.sharedState.save(SENSITIVE_WORDS_KEY, policy);
    afterEach(() => platform.host.sharedState.delete(SENSITIVE_WORDS_KEY));

    it('masks or refuses message text as the policy says', async () => {
      const { b, wsA, wsB } = await friendsOnline(platform);
      try {
        expect((await wsA.sendMessage(b.userId, 'badword before any policy')).type).to.equal('SEND_ACK');
        await setPolicy({ words: ['BadWord', '坏蛋'], action: 'mask' });
        const masked = await wsA.sendMessage(b.userId, 'a BADWORD from a 坏蛋, badwordbadword');
        expect(masked.type).to.equal('SEND_ACK');
        const received = await wsB.waitForMessages(2);
        expect(received.map((f) => f.data.content)).to.deep.equal([
          'badword before any policy',
          'a ******* from a **, **************',
        ]);
        await setPolicy({ words: ['badword'], action: 'reject' });
        const refused = await wsA.sendMessage(b.userId, 'no BadWord here');
        expect(refused.type).to.equal('ERROR');
        expect(refused.data.code).to.equal(ErrorCode.MESSAGE_SENSITIVE);
        expect((await wsA.sendMessage(b.userId, 'clean text')).type).to.equal('SEND_ACK');
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it('refuses nicknames, group names and announcements holding a word, whatever the action', async () => {
      const owner = await registerUser(api());
      const [m1, m2] = [await registerUser(api()), await registerUser(api())];
      await befriend(api(), owner, m1);
      await setPolicy({ words: ['坏蛋', 'spammer'], action: 'mask' });
      const nickname = await api().call('PUT', '/api/v1/users/me', {
        token: owner.accessToken,
        body: { nickname: '大坏蛋' },
      });
      expect(nickname.body.code).to.equal(ErrorCode.NICKNAME_SENSITIVE);
      // The configured blocklist still applies as well.
      const official = await api().call('PUT', '/api/v1/users/me', {
        token: owner.accessToken,
        body: { nickname: 'AnyChat Official' },
      });
      expect(official.body.code).to.equal(ErrorCode.NICKNAME_SENSITIVE);
      await api().ok('PUT', '/api/v1/users/me', {
        token: owner.accessToken,
        body: { nickname: 'Nice name' },
      });

      const named = await api().call('POST', '/api/v1/groups', {
        token: owner.accessToken,
        body: { name: 'Spammers club', memberIds: [m1.userId, m2.userId] },
      });
      expect(named.body.code).to.equal(ErrorCode.GROUP_NAME_SENSITIVE);
      const group = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: owner.accessToken,
        body: { name: 'Readers', memberIds: [m1.userId, m2.userId] },
      });
      const rename = await api().call('PUT', `/api/v1/groups/${group.groupId}`, {
        token: owner.accessToken,
        body: { name: '坏蛋 club' },
      });
      expect(rename.body.code).to.equal(ErrorCode.GROUP_NAME_SENSITIVE);
      const announcement = await api().call('PUT', `/api/v1/groups/${group.groupId}`, {
        token: owner.accessToken,
        body: { announcement: 'no SPAMMER allowed' },
      });
      expect(announcement.body.code).to.equal(ErrorCode.GROUP_ANNOUNCEMENT_SENSITIVE);
      await api().ok('PUT', `/api/v1/groups/${group.groupId}`, {
        token: owner.accessToken,
        body: { announcement: 'welcome' },
      });
    });
  });

  describe('gateway connection reports', () => {
    it('reports the open connections into the shared state, and keeps the direct route to cluster callers', async () => {
      const direct = await api().ok<{ instanceId: string; connections: number }>(
        'GET',
        '/api/v1/gateway/connections',
      );
      const reported = (connections: number) =>
        eventually(`a report of ${connections} connections`, async () => {
          const item = await platform.host.sharedState.get<GatewayConnectionsReport>(GATEWAY_CONNECTIONS_KEY);
          const entry = item?.value.instances[direct.instanceId];
          return entry?.connections === connections ? entry : undefined;
        });
      const entry = await reported(direct.connections);
      expect(Date.parse(entry.reportedAt)).to.be.closeTo(Date.now(), 10_000);

      const user = await registerUser(api());
      const ws = await WsClient.connect(url(), user.accessToken);
      await reported(direct.connections + 1);
      await ws.close();
      await reported(direct.connections);

      // A second instance writes the same document; stopping it takes its entry out.
      const extra = await startExtraGateway(platform, { GATEWAY_REPORT_INTERVAL_SECONDS: '1' });
      const instances = () =>
        eventually('both instances reported', async () => {
          const item = await platform.host.sharedState.get<GatewayConnectionsReport>(GATEWAY_CONNECTIONS_KEY);
          const ids = Object.keys(item?.value.instances ?? {});
          return ids.length === 2 ? ids : undefined;
        });
      const both = await instances();
      expect(both).to.include(direct.instanceId);
      await extra.stop();
      const left = await platform.host.sharedState.get<GatewayConnectionsReport>(GATEWAY_CONNECTIONS_KEY);
      expect(Object.keys(left?.value.instances ?? {})).to.deep.equal([direct.instanceId]);

      const forwarded = await api().call('GET', '/api/v1/gateway/connections', {
        headers: { 'x-forwarded-for': '203.0.113.7' },
      });
      expect(forwarded.status).to.equal(403);
      expect(forwarded.body.code).to.equal(ErrorCode.FORBIDDEN);
    });
  });
});
