import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { ADMIN_PASSWORD, signedInAdmin } from '../support/admins.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { imctl, tempConfigPath } from '../support/imctl.ts';
import { startPlatform } from '../support/platform.ts';
import { type PushWorld, sendText, startPushWorld, subscribeWebPush } from './support.ts';

interface ProviderStats {
  provider: string;
  success: number;
  failed: number;
}

/**
 * How operators see push: success and failure per provider in Prometheus metrics, in the admin
 * statistics and `imctl stats`, and `imctl push test` for one user's devices.
 */
describe('push: metrics, statistics and imctl', function () {
  this.timeout(90_000);
  let world: PushWorld;
  const config = tempConfigPath();

  before(async function () {
    await requirePostgres(this);
    world = await startPushWorld({ METRICS_PORT: '0' });
  });
  after(async () => {
    await world?.stop();
  });

  it('counts sent and failed pushes per provider in /metrics, admin stats and imctl stats', async () => {
    const api = world.platform.api;
    const alice = await registerUser(api, { nickname: 'Alice' });
    const bob = await registerUser(api);
    const carol = await registerUser(api);
    await befriend(api, bob, alice);
    await befriend(api, carol, alice);
    await subscribeWebPush(world, bob, `ok-${bob.userId}`);
    await subscribeWebPush(world, carol, `gone-${carol.userId}`);
    world.endpoint.answer(`gone-${carol.userId}`, 410);
    await sendText(api, alice, { sessionType: 'single', targetId: bob.userId }, 'one');
    await sendText(api, alice, { sessionType: 'single', targetId: carol.userId }, 'two');

    const token = await signedInAdmin(world.platform, 'pushops', 'operator');
    const stats = await eventually('admin stats count both pushes', async () => {
      const answer = await api.ok<{ push: { providers: ProviderStats[] } | null }>(
        'GET',
        '/api/v1/admin/stats',
        {
          token,
        },
      );
      const webpush = answer.push?.providers.find((p) => p.provider === 'webpush');
      return webpush && webpush.success >= 1 && webpush.failed >= 1 ? webpush : undefined;
    });
    expect(stats).to.deep.equal({ provider: 'webpush', success: 1, failed: 1 });

    const metrics = await (await fetch(world.platform.host.metricsUrl!)).text();
    expect(metrics).to.include('anychat_push_attempts_total{provider="webpush",result="success"} 1');
    expect(metrics).to.include('anychat_push_attempts_total{provider="webpush",result="dead-token"} 1');

    const login = await imctl(
      ['login', '--server', world.platform.host.url, '--username', 'pushops', '--password-stdin'],
      { configPath: config, stdin: ADMIN_PASSWORD },
    );
    expect(login.code, login.stderr).to.equal(0);
    const table = await imctl(['stats', '--output', 'table'], { configPath: config });
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout, table.stdout).to.match(/Push \(1h\):?\s+webpush 1 sent, 1 failed \(50\.0%\)/);
  });

  it('sends a test push with imctl push test, and says when a user has no device', async () => {
    const api = world.platform.api;
    const bob = await registerUser(api);
    const device = `imctl-${bob.userId}`;
    await subscribeWebPush(world, bob, device, { language: 'en' });
    const sent = await imctl(['push', 'test', bob.userId], { configPath: config });
    expect(sent.code, sent.stderr).to.equal(0);
    expect(sent.json<{ results: unknown[] }>().results).to.deep.equal([
      { deviceId: `web-${bob.account}`, provider: 'webpush', status: 'success', error: null },
    ]);
    expect((await world.endpoint.nth(device, 1)).payload).to.include({ title: 'Test notification' });

    const nobody = await registerUser(api);
    const none = await imctl(['push', 'test', nobody.userId, '--output', 'table'], { configPath: config });
    expect(none.code).to.equal(1);
    expect(none.stdout).to.include(`user ${nobody.userId} has no push registration`);
    const audit = await imctl(['audit', '--action', 'push.test'], { configPath: config });
    expect(audit.json<{ items: unknown[] }>().items).to.have.length(2);
  });

  it('says so when the push service does not answer: stats without push, a test push refused with 080103', async () => {
    // A platform without the push service, as a cluster with push disabled runs.
    const services = 'auth,user,friend,group,session,file,message,admin,gateway';
    const other = await startPlatform('postgresql', { SERVICES: services, ANYCHAT_ADAPTER: 'embedded' });
    try {
      const token = await signedInAdmin(other, 'nopush', 'operator');
      const stats = await other.api.ok<{ push: unknown }>('GET', '/api/v1/admin/stats', { token });
      expect(stats.push).to.equal(null);
      const user = await registerUser(other.api);
      const refused = await other.api.call('POST', `/api/v1/admin/users/${user.userId}/push-test`, {
        token,
        headers: { 'accept-language': 'zh-CN' },
      });
      expect(refused.status).to.equal(503);
      expect(refused.body.code).to.equal(ErrorCode.PUSH_UNAVAILABLE);
      expect(refused.body.message).to.match(/^推送服务不可用/);
    } finally {
      await other.stop();
    }
  });
});
