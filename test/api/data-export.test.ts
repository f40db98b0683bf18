import { expect } from 'chai';
import { strFromU8, unzipSync } from 'fflate';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend, type User } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { forEachBackend } from '../support/platform.ts';
import { serviceSql } from '../support/service-sql.ts';
import { WsClient } from '../support/ws-client.ts';

interface ExportView {
  exportId: string;
  status: string;
  sizeBytes: number | null;
  expiresAt: string | null;
}

forEachBackend('export my data', (platform) => {
  const api = () => platform().api;

  const readyExport = async (user: User, exportId: string) =>
    eventually(`export ${exportId} ready`, async () => {
      const view = await api().ok<ExportView>('GET', `/api/v1/users/me/export/${exportId}`, {
        token: user.accessToken,
      });
      expect(view.status).to.be.oneOf(['pending', 'ready']);
      return view.status === 'ready' && view;
    });

  const download = async (user: User, exportId: string) => {
    const link = await api().ok<{ url: string; expiresAt: string }>(
      'POST',
      `/api/v1/users/me/export/${exportId}/link`,
      { token: user.accessToken },
    );
    expect(new Date(link.expiresAt).getTime()).to.be.greaterThan(Date.now());
    const response = await fetch(link.url);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/zip');
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    const read = (name: string) => JSON.parse(strFromU8(files[name] as Uint8Array));
    return { link, read };
  };

  it('builds a zip of my profile, settings, friends and the messages I see, behind a short-lived link', async () => {
    const alice = await registerUser(api(), { nickname: 'Export Alice' });
    const bob = await registerUser(api(), { nickname: 'Export Bob' });
    await befriend(api(), alice, bob);
    const ws = await WsClient.connect(platform().host.url, alice.accessToken);
    try {
      const ack = await ws.sendMessage(bob.userId, 'exported hello');
      expect(ack.type).to.equal('SEND_ACK');
    } finally {
      await ws.close();
    }
    await api().ok('PUT', '/api/v1/users/settings', {
      token: alice.accessToken,
      body: { language: 'en' },
    });

    const started = await api().ok<ExportView>('POST', '/api/v1/users/me/export', {
      token: alice.accessToken,
    });
    expect(started.status).to.be.oneOf(['pending', 'ready']);
    const ready = await readyExport(alice, started.exportId);
    expect(ready.sizeBytes).to.be.greaterThan(0);
    expect(ready.expiresAt).to.be.a('string');

    const { link, read } = await download(alice, started.exportId);
    const profile = read('profile.json');
    expect(profile.profile.userId).to.equal(alice.userId);
    expect(profile.profile.nickname).to.equal('Export Alice');
    expect(profile.settings.language).to.equal('en');
    expect(read('friends.json').map((f: { userId: string }) => f.userId)).to.deep.equal([bob.userId]);
    expect(JSON.stringify(read('messages.json'))).to.contain('exported hello');

    // A new link ends the previous one; another user's export is not found, nor its link to be had.
    await download(alice, started.exportId);
    expect((await fetch(link.url)).status).to.equal(404);
    for (const [method, path] of [
      ['GET', `/api/v1/users/me/export/${started.exportId}`],
      ['POST', `/api/v1/users/me/export/${started.exportId}/link`],
    ] as const) {
      const foreign = await api().call(method, path, { token: bob.accessToken });
      expect(foreign.body.code, path).to.equal(ErrorCode.NOT_FOUND);
    }
    expect(
      (await fetch(`${platform().host.url}/api/v1/users/export-downloads/${'x'.repeat(43)}`)).status,
    ).to.equal(404);
    const anonymous = await api().call('POST', '/api/v1/users/me/export');
    expect(anonymous.body.code).to.equal(ErrorCode.UNAUTHENTICATED);
  });

  it('builds after a restart an export whose process died while building it', async () => {
    const carol = await registerUser(api(), { nickname: 'Export Carol' });
    const exportId = String(BigInt(Date.now()) * 1000n);
    // As a process leaves it when it dies mid-build: claimed once, its lease run out.
    await serviceSql(
      platform().host.databaseUrl,
      'user',
      `insert into "user"."data_exports" ("export_id", "user_id", "attempts", "lease_until")
       values (?, ?, 1, now() - interval '1 second')`,
      [exportId, carol.userId],
    );
    await platform().restart();
    const { read } = await download(carol, (await readyExport(carol, exportId)).exportId);
    expect(read('profile.json').profile.nickname).to.equal('Export Carol');
  });
});
