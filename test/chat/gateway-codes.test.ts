import { expect } from 'chai';
import WebSocket from 'ws';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { eventually } from '../support/eventually.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { WsClient } from '../support/ws-client.ts';

/** What an upgrade attempt came to: the socket opened, or the HTTP answer that refused it. */
function attempt(
  url: string,
  token: string,
): Promise<{ opened: WebSocket } | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${token}`);
    ws.once('open', () => resolve({ opened: ws }));
    ws.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

/**
 * The seed's gateway (09xxxx) and sync (11xxxx) codes where they mean what the gateway and the
 * offline pull already answer, beside the documented codes: a malformed frame (1 with 90103), a
 * replaced connection's close reason (90105), connects over the per-address rate (429, 90104), and
 * an offline pull from a position the server never had (110101, 110102). The connect rate is that
 * of RATE_LIMIT_FACTOR 0.05: 3 a minute.
 */
describe('gateway and sync codes [postgresql]', function () {
  this.timeout(90_000);
  let platform: TestPlatform;
  const open: WebSocket[] = [];

  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', { RATE_LIMIT_FACTOR: '0.05' });
  });
  after(async () => {
    for (const ws of open) ws.terminate();
    await platform?.stop();
  });

  it('names malformed frames, replaced connections, connects over the limit and impossible sync positions', async () => {
    const api = platform.api;
    const user = await registerUser(api);

    // Offline pull: an account with no events has no position 10 (110101).
    const never = await api.call('GET', '/api/v1/messages/offline?lastSeq=10', { token: user.accessToken });
    expect([never.status, never.body.code]).to.deep.equal([404, ErrorCode.SYNC_DATA_NOT_FOUND]);

    const ws = await WsClient.connect(platform.host.url, user.accessToken);
    ws.send('{not json');
    const bad = await ws.next((f) => f.type === 'ERROR');
    expect(bad.data).to.include({ code: ErrorCode.INVALID_PARAMS, reasonCode: ErrorCode.GATEWAY_BAD_FRAME });
    const mark = ws.frames.length;
    ws.send({ type: 'NO_SUCH_FRAME', msgId: 'm-1' });
    const unknown = await ws.next((f) => f.type === 'ERROR' && f.msgId === 'm-1', 5000, mark);
    expect(unknown.data).to.include({
      code: ErrorCode.INVALID_PARAMS,
      reasonCode: ErrorCode.GATEWAY_BAD_FRAME,
    });

    // The same device connecting again: the older socket closes with 4009, its reason led by 90105.
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
    );
    const second = await attempt(platform.host.url, user.accessToken);
    expect(second).to.have.property('opened');
    if ('opened' in second) open.push(second.opened);
    const replaced = await closed;
    expect(replaced.code).to.equal(4009);
    expect(replaced.reason).to.match(/^90105 /);

    // A third connect from this address is the last of the minute; the next is refused before the upgrade.
    const third = await attempt(platform.host.url, user.accessToken);
    if ('opened' in third) open.push(third.opened);
    const refused = await attempt(platform.host.url, user.accessToken);
    expect(refused).to.include({ status: 429 });
    const body = JSON.parse((refused as { body: string }).body) as { code: number };
    expect(body.code).to.equal(ErrorCode.GATEWAY_TOO_MANY_CONNECTIONS);

    // With events (a settings change is one), a position past the newest is a conflict (110102).
    await api.ok('PUT', '/api/v1/users/settings/privacy', {
      token: user.accessToken,
      body: { presence: 'friends' },
    });
    const head = await eventually('the change is in the timeline', async () => {
      const page = await api.ok<{ nextSeq: number }>('GET', '/api/v1/messages/offline?lastSeq=0', {
        token: user.accessToken,
      });
      return page.nextSeq > 0 ? page.nextSeq : undefined;
    });
    await api.ok('GET', `/api/v1/messages/offline?lastSeq=${head}`, { token: user.accessToken });
    const ahead = await api.call('GET', `/api/v1/messages/offline?lastSeq=${head + 5}`, {
      token: user.accessToken,
    });
    expect([ahead.status, ahead.body.code]).to.deep.equal([409, ErrorCode.SYNC_VERSION_CONFLICT]);
  });
});
