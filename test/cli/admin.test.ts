/**
 * imctl end to end: a child process per command against a running embedded platform over real
 * HTTP, with chat users on real WebSockets watching the effects.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, befriendAll } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { imctl, tempConfigPath } from '../support/imctl.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { type Frame, WsClient } from '../support/ws-client.ts';

const PASSWORD = 'correct horse battery';

describe('imctl against the embedded platform', function () {
  this.timeout(90_000);
  let platform: TestPlatform;
  let databaseUrl: string;
  const config = tempConfigPath();
  const sockets: WsClient[] = [];
  /** imctl as the logged-in superadmin, JSON output (stdout is not a terminal). */
  const root = (...args: string[]) => imctl(args, { configPath: config });

  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', {
      GATEWAY_REPORT_INTERVAL_SECONDS: '1',
      SENSITIVE_WORDS_REFRESH_MS: '0',
    });
    databaseUrl = platform.backend.env.DATABASE_URL!;
  });

  after(async () => {
    await Promise.all(sockets.map((ws) => ws.close()));
    await platform?.stop();
  });

  it('creates the first admin in the database and logs in, keeping the token in a 0600 file', async () => {
    const created = await imctl(
      [
        'admin',
        'create',
        '--username',
        'root',
        '--role',
        'superadmin',
        '--password-stdin',
        '--database-url',
        databaseUrl,
      ],
      { stdin: PASSWORD },
    );
    expect(created.code, created.stderr).to.equal(0);
    expect(created.json<{ username: string; role: string }>()).to.include({
      username: 'root',
      role: 'superadmin',
    });

    const wrong = await imctl(
      ['login', '--server', platform.host.url, '--username', 'root', '--password-stdin'],
      {
        configPath: config,
        stdin: 'not the password',
      },
    );
    expect(wrong.code).to.equal(3);
    expect(wrong.stderr).to.match(/password/i);

    const login = await imctl(
      ['login', '--server', platform.host.url, '--username', 'root', '--password-stdin'],
      {
        configPath: config,
        stdin: PASSWORD,
      },
    );
    expect(login.code, login.stderr).to.equal(0);
    expect(statSync(config).mode & 0o777).to.equal(0o600);
    expect(login.stdout + login.stderr).to.not.include(PASSWORD);
  });

  it('bans a connected user (FORCE_LOGOUT, login refused) and unbans', async () => {
    const user = await registerUser(platform.api);
    const ws = await WsClient.connect(platform.host.url, user.accessToken);
    sockets.push(ws);
    const banned = await root('users', 'ban', user.userId, '--reason', 'spam', '--duration', '1h');
    expect(banned.code, banned.stderr).to.equal(0);
    expect(banned.json<{ state: string; until: string }>().state).to.equal('banned');
    expect((await ws.next((f: Frame) => f.type === 'FORCE_LOGOUT')).data.reason).to.equal('account_banned');
    const login = () =>
      platform.api.call('POST', '/api/v1/auth/login', {
        body: { account: user.account, password: user.password, deviceType: 'Web', deviceId: 'web-1' },
      });
    expect((await login()).body.code).to.equal(10111);

    const listed = await root('users', 'list', '--state', 'banned');
    expect(listed.json<{ items: Array<{ userId: string }> }>().items.map((u) => u.userId)).to.include(
      user.userId,
    );
    const table = await imctl(['users', 'show', user.userId, '--output', 'table'], { configPath: config });
    expect(table.stdout).to.include('spam');

    expect((await root('users', 'unban', user.userId)).code).to.equal(0);
    expect((await login()).body.code).to.equal(0);
  });

  it('broadcasts to every connected client once, and later clients get it through sync', async () => {
    const [a, b, later] = [
      await registerUser(platform.api),
      await registerUser(platform.api),
      await registerUser(platform.api),
    ];
    const [wsA, wsB] = [
      await WsClient.connect(platform.host.url, a.accessToken),
      await WsClient.connect(platform.host.url, b.accessToken),
    ];
    sockets.push(wsA, wsB);
    const sent = await root('broadcast', 'Scheduled maintenance at 02:00 UTC', '--maintenance', '--wait');
    expect(sent.code, sent.stderr).to.equal(0);
    expect(sent.json<{ status: string }>().status).to.equal('done');
    const isNotice = (f: Frame) => f.type === 'NOTIFICATION' && f.data.kind === 'admin.maintenance';
    for (const ws of [wsA, wsB]) {
      await ws.next(isNotice);
      expect(ws.frames.filter(isNotice)).to.have.length(1);
    }
    const replay = await WsClient.connect(platform.host.url, later.accessToken, { syncSeq: 0 });
    sockets.push(replay);
    expect(replay.frames.filter(isNotice).map((f) => f.data.payload.text)).to.deep.equal([
      'Scheduled maintenance at 02:00 UTC',
    ]);
  });

  it('shows stats that reflect a known workload', async () => {
    const before = (await root('stats')).json<{
      users: { total: number };
      messages: { byContentType: Record<string, number> };
    }>();
    const [a, b] = [await registerUser(platform.api), await registerUser(platform.api)];
    await befriend(platform.api, a, b);
    const ws = await WsClient.connect(platform.host.url, a.accessToken);
    sockets.push(ws);
    for (let i = 0; i < 4; i++) await ws.sendMessage(b.userId, `m${i}`);
    await ws.sendMessage(
      b.userId,
      { latitude: 1, longitude: 2, address: 'here' },
      { contentType: 'location' },
    );
    const after = await eventually('stats count the new connection', async () => {
      const stats = (await root('stats')).json<{
        users: { total: number };
        connections: { total: number };
        messages: { byContentType: Record<string, number> };
      }>();
      return stats.connections.total >= 1 ? stats : undefined;
    });
    expect(after.users.total - before.users.total).to.equal(2);
    const delta = (type: string) =>
      (after.messages.byContentType[type] ?? 0) - (before.messages.byContentType[type] ?? 0);
    expect(delta('text')).to.equal(4);
    expect(delta('location')).to.equal(1);
    const table = await imctl(['stats', '--output', 'table'], { configPath: config });
    expect(table.code).to.equal(0);
    expect(table.stdout).to.match(/connections/i);
  });

  it('moderates groups, messages, words and configuration, and signs users out or deletes them', async () => {
    const [owner, m1, m2] = [
      await registerUser(platform.api),
      await registerUser(platform.api),
      await registerUser(platform.api),
    ];
    await befriendAll(platform.api, owner, [m1, m2]);
    const group = await platform.api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: owner.accessToken,
      body: { name: 'cli moderated', memberIds: [m1.userId, m2.userId] },
    });
    const ok = async (...args: string[]) => {
      const result = await root(...args);
      expect(result.code, `imctl ${args.join(' ')}: ${result.stderr}`).to.equal(0);
      return result;
    };
    const listed = (await ok('groups', 'list', '--keyword', 'cli moderated')).json<{
      items: Array<{ groupId: string }>;
    }>();
    expect(listed.items.map((g) => g.groupId)).to.deep.equal([group.groupId]);
    await ok('groups', 'remove-member', group.groupId, m2.userId);
    const shown = (await ok('groups', 'show', group.groupId)).json<{ members: Array<{ userId: string }> }>();
    expect(shown.members.map((m) => m.userId)).to.have.members([owner.userId, m1.userId]);
    await ok('groups', 'dismiss', group.groupId, '--reason', 'spam ring', '--yes');
    expect((await root('groups', 'dismiss', group.groupId, '--yes')).code, 'dismissed twice').to.equal(1);

    const ws = await WsClient.connect(platform.host.url, m1.accessToken);
    sockets.push(ws);
    const ack = await ws.sendMessage(owner.userId, 'to be recalled');
    const history = (await ok('messages', 'history', ack.data.sessionId)).json<{
      messages: Array<{ messageId: string }>;
    }>();
    expect(history.messages.map((m) => m.messageId)).to.include(ack.data.messageId);
    await ok('messages', 'recall', ack.data.messageId, '--reason', 'abuse');

    await ok('sensitive-words', 'set', 'alpha', 'beta', '--action', 'reject');
    await ok('sensitive-words', 'add', 'gamma');
    await ok('sensitive-words', 'remove', 'alpha');
    expect((await ok('sensitive-words', 'show')).json()).to.deep.equal({
      words: ['beta', 'gamma'],
      action: 'reject',
    });
    expect((await ws.sendMessage(owner.userId, 'say gamma')).data.code).to.equal(50105);
    await ok('sensitive-words', 'remove', 'beta', 'gamma');

    await ok('config', 'set', 'basic.siteName', '"CLI Chat"');
    const config = (await ok('config', 'get', 'basic.siteName')).stdout;
    expect(config).to.include('CLI Chat');
    await ok('config', 'unset', 'basic.siteName');
    expect((await root('config', 'get', 'basic.siteName')).code).to.equal(6);

    expect((await ok('admin', 'list')).stdout).to.include('root');

    const kicked = (await ok('users', 'kick', m1.userId)).json<{ devices: number }>();
    expect(kicked.devices).to.be.at.least(1);
    expect((await ws.next((f: Frame) => f.type === 'FORCE_LOGOUT')).data.reason).to.equal('admin_kick');
    await ok('users', 'delete', m2.userId, '--yes');
    const login = await platform.api.call('POST', '/api/v1/auth/login', {
      body: { account: m2.account, password: m2.password, deviceType: 'Web', deviceId: 'web-2' },
    });
    // A deleted account's right password is told so (10117, "account abnormal"), never signed in.
    expect(login.body.code).to.equal(10117);
    expect(login.body.data).to.equal(null);
  });

  it('shows each action in the audit log', async () => {
    const audit = await root('audit', '--actor', 'root', '--since', '1h');
    expect(audit.code, audit.stderr).to.equal(0);
    const actions = audit.json<{ items: Array<{ action: string }> }>().items.map((item) => item.action);
    expect(actions).to.include.members(['admin.login', 'user.ban', 'user.unban', 'broadcast.maintenance']);
  });

  it('gives clear messages and trustworthy exit codes for bad input, permissions and logouts', async () => {
    const badId = await root('users', 'ban', 'not-an-id', '--reason', 'x');
    expect(badId.code).to.equal(2);
    expect(badId.stderr).to.match(/userId/);
    const unknown = await root('users', 'show', '42');
    expect(unknown.code).to.equal(6);

    const created = await root(
      'admin',
      'create',
      '--username',
      'watcher',
      '--role',
      'auditor',
      '--password-stdin',
    );
    expect(created.code, 'an empty password from stdin').to.be.oneOf([1, 2]);
    const auditorConfig = tempConfigPath();
    expect(
      (
        await imctl(['admin', 'create', '--username', 'watcher', '--role', 'auditor', '--password-stdin'], {
          configPath: config,
          stdin: PASSWORD,
        })
      ).code,
    ).to.equal(0);
    expect(
      (
        await imctl(['login', '--server', platform.host.url, '--username', 'watcher', '--password-stdin'], {
          configPath: auditorConfig,
          stdin: PASSWORD,
        })
      ).code,
    ).to.equal(0);
    const denied = await imctl(['users', 'kick', '42'], { configPath: auditorConfig });
    expect(denied.code).to.equal(4);
    expect(denied.stderr).to.include('users:write');

    expect((await imctl(['logout'], { configPath: auditorConfig })).code).to.equal(0);
    const loggedOut = await imctl(['stats'], { configPath: auditorConfig });
    expect(loggedOut.code).to.equal(3);
    expect(loggedOut.stderr).to.include('imctl login');
  });

  it('asks to log in again when the server says the login expired', async () => {
    const expiring = tempConfigPath();
    const login = await imctl(
      ['login', '--server', platform.host.url, '--username', 'root', '--password-stdin'],
      {
        configPath: expiring,
        stdin: PASSWORD,
      },
    );
    expect(login.code, login.stderr).to.equal(0);
    // The server's clock decides (the stored expiresAt is only a hint): end the session there.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query(`update admin.admin_sessions set expires_at = now() - interval '1 second'`);
    await db.end();
    const stats = await imctl(['stats'], { configPath: expiring });
    expect(stats.code).to.equal(3);
    expect(stats.stderr)
      .to.match(/expired/)
      .and.include('imctl login');
    const relogin = await imctl(
      ['login', '--server', platform.host.url, '--username', 'root', '--password-stdin'],
      {
        configPath: config,
        stdin: PASSWORD,
      },
    );
    expect(relogin.code, relogin.stderr).to.equal(0);
  });

  it('streams stats with --watch until interrupted, then exits 0', async () => {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, '../../cli/imctl.ts'), 'stats', '--watch', '--interval', '1s'],
      {
        env: { ...process.env, IMCTL_CONFIG: config },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await eventually('two refreshes', async () =>
      stdout.split('\n').filter(Boolean).length >= 2 ? true : undefined,
    );
    child.kill('SIGINT');
    expect(await exited).to.equal(0);
    const frames = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { users: { total: number } });
    expect(frames[0]!.users.total).to.be.a('number');
  });
});
