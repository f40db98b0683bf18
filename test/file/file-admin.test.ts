import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { signedInAdmin } from '../support/admins.ts';
import { registerUser } from '../support/api-client.ts';
import { forEachBackend } from '../support/platform.ts';
import { uploadSimple } from './files-client.ts';

interface FileStats {
  files: number;
  bytes: number;
  storedBytes: number;
  kinds: Array<{ kind: string; files: number; bytes: number }>;
}

forEachBackend('file administration', (platform) => {
  const api = () => platform().api;

  it('shows storage use in total and per user, and deletes a file with an audit record', async () => {
    const admin = await signedInAdmin(platform(), `files_${Date.now()}`, 'superadmin');
    const alice = await registerUser(api());
    const bob = await registerUser(api());
    const bytes = randomBytes(10_000);
    const file = (await uploadSimple(api(), alice.accessToken, 'chat_file', { bytes, name: 'a.bin' })).body
      .data;
    // The same bytes from Bob: two files, one stored copy.
    await uploadSimple(api(), bob.accessToken, 'chat_file', { bytes, name: 'b.bin' });
    const mine = await api().ok<FileStats>('GET', `/api/v1/admin/files/stats?userId=${alice.userId}`, {
      token: admin,
    });
    expect(mine).to.deep.include({ files: 1, bytes: 10_000 });
    expect(mine.kinds).to.deep.equal([{ kind: 'chat_file', files: 1, bytes: 10_000 }]);
    const total = await api().ok<FileStats>('GET', '/api/v1/admin/files/stats', { token: admin });
    expect(total.bytes - total.storedBytes).to.be.at.least(10_000);

    const deleted = await api().ok('DELETE', `/api/v1/admin/files/${file.fileId}?reason=spam`, {
      token: admin,
    });
    expect(deleted).to.deep.include({ fileId: file.fileId, ownerId: alice.userId, fileName: 'a.bin' });
    const gone = await api().call('GET', `/api/v1/files/${file.fileId}`, { token: alice.accessToken });
    expect(gone.body.code).to.equal(ErrorCode.FILE_DELETED);
    const again = await api().call('DELETE', `/api/v1/admin/files/${file.fileId}`, {
      token: admin,
      body: {},
    });
    expect(again.body.code).to.equal(ErrorCode.FILE_DELETED);
    const audit = await api().ok<{ items: Array<{ action: string; resourceId: string; details: unknown }> }>(
      'GET',
      '/api/v1/admin/audit?action=file.delete',
      { token: admin },
    );
    expect(audit.items[0]).to.deep.include({ action: 'file.delete', resourceId: file.fileId });
    expect(audit.items[0]!.details).to.deep.include({ ownerId: alice.userId, reason: 'spam' });
    expect(
      (await api().call('DELETE', '/api/v1/files/123', { token: admin })).status,
      'an admin token is not a chat token',
    ).to.not.equal(200);
  });
});
