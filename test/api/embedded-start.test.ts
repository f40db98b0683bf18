import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ApiClient, registerUser } from '../support/api-client.ts';
import { CapturedOutput, PLATFORM_SERVING, stopProcess, track } from '../support/processes.ts';

/** Runs `node services/main.ts` as the README's first command does, and waits for the URL it prints. */
async function startEmbedded(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = track(
    spawn(process.execPath, ['services/main.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        ANYCHAT_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        DATABASE_URL: '',
        SERVICES: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const [, url] = await new CapturedOutput(child).waitFor(PLATFORM_SERVING);
  return { child, url: url! };
}

describe('embedded platform process', function () {
  this.timeout(90_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'anychat-embedded-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints its URL, shuts down cleanly on SIGTERM, and keeps its data across restarts', async () => {
    const first = await startEmbedded(dataDir);
    const user = await registerUser(new ApiClient(first.url), { nickname: 'Persistent' });
    expect(await stopProcess(first.child)).to.equal(0);

    const second = await startEmbedded(dataDir);
    try {
      const api = new ApiClient(second.url);
      const login = await api.ok<{ accessToken: string }>('POST', '/api/v1/auth/login', {
        body: { account: user.account, password: user.password, deviceType: 'iOS', deviceId: 'phone' },
      });
      const me = await api.ok<{ nickname: string }>('GET', '/api/v1/users/me', { token: login.accessToken });
      expect(me.nickname).to.equal('Persistent');
      // The access token issued before the restart still verifies: signing keys persisted too.
      expect((await api.call('GET', '/api/v1/users/me', { token: user.accessToken })).status).to.equal(200);
    } finally {
      expect(await stopProcess(second.child)).to.equal(0);
    }
  });
});
