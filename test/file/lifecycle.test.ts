import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser, type SignedIn } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { type MinioServer, startMinio } from '../support/minio.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { download, uploadSimple } from './files-client.ts';

const MiB = 1024 * 1024;

/** Expiry and cleaning with short lifetimes, on the embedded store and on MinIO. */
for (const store of ['local', 'minio'] as const) {
  describe(`file lifecycle [${store}]`, function () {
    this.timeout(120_000);
    let platform: TestPlatform;
    let minio: MinioServer | undefined;
    let alice: SignedIn;
    const api = () => platform.api;

    before(async () => {
      if (store === 'minio') minio = await startMinio();
      platform = await startPlatform(store === 'minio' ? 'postgresql' : 'pglite', {
        FILE_TEMP_TTL_SECONDS: '1',
        FILE_UPLOAD_TTL_SECONDS: '1',
        FILE_SWEEP_SECONDS: '1',
        FILE_BLOB_GRACE_SECONDS: '0',
        FILE_USER_QUOTA_MB: '100',
        ...(minio?.env ?? {}),
      });
      alice = await registerUser(api());
    });
    after(async () => {
      await platform?.stop();
      await minio?.stop();
    });

    it('expires a temporary file: its id answers 070106 and its bytes leave the store', async () => {
      const uploaded = await uploadSimple(api(), alice.accessToken, 'temp', {
        bytes: Buffer.from('temporary bytes'),
        name: 'temp.txt',
      });
      expect(uploaded.body.code).to.equal(0);
      const { fileId, url } = uploaded.body.data;
      await eventually('the temporary file to expire', async () => {
        const response = await api().call('GET', `/api/v1/files/${fileId}`, { token: alice.accessToken });
        return response.body.code === ErrorCode.FILE_DELETED || undefined;
      });
      await eventually(
        'its bytes to be removed',
        async () => (await download(url)).response.status === 404 || undefined,
      );
    });

    it('aborts an upload left unfinished and gives its quota back', async () => {
      const init = (token: string) =>
        api().call<{ uploadId: string }>('POST', '/api/v1/files/upload/init', {
          token,
          body: { fileName: 'big.bin', fileSize: 70 * MiB, type: 'chat_file' },
        });
      const first = await init(alice.accessToken);
      expect(first.body.code).to.equal(0);
      // The declared size counts while the upload is open, and comes back once it is aborted.
      await eventually('the abandoned upload to stop counting', async () => {
        const again = await init(alice.accessToken);
        return again.body.code === 0 || undefined;
      });
      const status = await api().call('GET', `/api/v1/files/upload/${first.body.data.uploadId}`, {
        token: alice.accessToken,
      });
      expect(status.body.code).to.equal(ErrorCode.FILE_UPLOAD_ID_INVALID);
    });
  });
}
