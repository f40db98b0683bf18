/** imctl's file commands against the embedded platform: storage use and an audited deletion. */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { uploadSimple } from '../file/files-client.ts';
import { ADMIN_PASSWORD } from '../support/admins.ts';
import { registerUser } from '../support/api-client.ts';
import { imctl, loginAsRoot, tempConfigPath } from '../support/imctl.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

describe('imctl files', function () {
  this.timeout(90_000);
  let platform: TestPlatform;
  const config = tempConfigPath();
  const root = (...args: string[]) => imctl(args, { configPath: config });

  before(async () => {
    platform = await startPlatform('pglite');
    await loginAsRoot(platform.host, config, ADMIN_PASSWORD);
  });
  after(async () => {
    await platform?.stop();
  });

  it("shows a user's storage use and deletes a file, recorded in the audit log", async () => {
    const user = await registerUser(platform.api);
    const file = (
      await uploadSimple(platform.api, user.accessToken, 'chat_file', {
        bytes: randomBytes(2048),
        name: 'x.bin',
      })
    ).body.data;
    const overview = await root('stats');
    expect(overview.code, overview.stderr).to.equal(0);
    expect(overview.json<{ files: { files: number; bytes: number } }>().files.bytes).to.be.at.least(2048);
    const stats = await root('files', 'stats', '--user', user.userId);
    expect(stats.code, stats.stderr).to.equal(0);
    expect(stats.json()).to.deep.include({ files: 1, bytes: 2048 });
    const deleted = await root('files', 'delete', file.fileId, '--reason', 'illegal content');
    expect(deleted.code, deleted.stderr).to.equal(0);
    expect(deleted.json()).to.include({ fileId: file.fileId, ownerId: user.userId });
    const gone = await platform.api.call('GET', `/api/v1/files/${file.fileId}`, { token: user.accessToken });
    expect(gone.body.code).to.equal(ErrorCode.FILE_DELETED);
    const audit = await root('audit', '--action', 'file.delete');
    expect(JSON.stringify(audit.json())).to.include(file.fileId).and.include('illegal content');
    expect((await root('files', 'delete', 'not-an-id')).code).to.not.equal(0);
  });
});
