import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import sharp from 'sharp';
import { registerUser, type SignedIn } from '../support/api-client.ts';
import { type MinioServer, startMinio } from '../support/minio.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { download, type FileView, postForm, sha256, uploadSimple } from './files-client.ts';

type Init =
  | { instant: true; file: FileView }
  | { instant: false; uploadId: string; fileId: string; chunkSize: number; totalChunks: number };

/** Instant upload (a declared SHA-256 the user holds already), on the embedded store and on a real MinIO server. */
for (const store of ['local', 'minio'] as const) {
  describe(`instant upload [${store}]`, function () {
    this.timeout(120_000);
    let platform: TestPlatform;
    let minio: MinioServer | undefined;
    let alice: SignedIn;
    let bob: SignedIn;
    const api = () => platform.api;
    /** Starts an upload of `size` bytes, declaring their SHA-256. */
    const init = (
      user: SignedIn,
      path: 'init' | 'presign',
      type: string,
      fileName: string,
      size: number,
      hash: string,
    ) =>
      api().ok<Init>('POST', `/api/v1/files/upload/${path}`, {
        token: user.accessToken,
        body: { fileName, fileSize: size, type, sha256: hash },
      });

    before(async () => {
      if (store === 'minio') minio = await startMinio();
      platform = await startPlatform(store === 'minio' ? 'postgresql' : 'pglite', minio?.env ?? {});
      alice = await registerUser(api());
      bob = await registerUser(api());
    });
    after(async () => {
      await platform?.stop();
      await minio?.stop();
    });

    it('completes at once, without the bytes, an upload of bytes I uploaded before', async () => {
      const bytes = randomBytes(200_000);
      const first = (await uploadSimple(api(), alice.accessToken, 'chat_file', { bytes, name: 'a.bin' })).body
        .data;
      const again = await init(alice, 'init', 'chat_file', 'copy.bin', bytes.length, sha256(bytes));
      expect(again.instant).to.equal(true);
      const file = (again as { file: FileView }).file;
      expect(file.fileId).to.not.equal(first.fileId);
      expect(file).to.include({ fileName: 'copy.bin', size: bytes.length, type: 'chat_file' });
      expect(sha256((await download(file.url)).bytes)).to.equal(sha256(bytes));
      // A declared hash of bytes I hold as another type is uploaded as usual.
      const asTemp = await init(alice, 'init', 'temp', 'temp.bin', bytes.length, sha256(bytes));
      expect(asTemp.instant).to.equal(false);
    });

    it('matches a photo by the bytes I sent, though its stored copy lost its EXIF', async () => {
      const jpeg = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#aa3311' } })
        .jpeg()
        .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 3230/100' } })
        .toBuffer();
      const first = (
        await uploadSimple(api(), alice.accessToken, 'chat_image', { bytes: jpeg, name: 'a.jpg' })
      ).body.data;
      expect(first.size).to.not.equal(jpeg.length);
      const again = await init(alice, 'presign', 'chat_image', 'b.jpg', jpeg.length, sha256(jpeg));
      expect(again.instant).to.equal(true);
      const file = (again as { file: FileView }).file;
      expect(file).to.include({ width: 400, height: 300, size: first.size, mimeType: 'image/jpeg' });
      expect(file.thumbnail).to.be.a('string');
      expect(sha256((await download(file.url)).bytes)).to.equal(sha256((await download(first.url)).bytes));
    });

    it('reveals nothing of bytes only someone else holds: the upload proceeds as for bytes nobody has', async () => {
      const bytes = randomBytes(150_000);
      await uploadSimple(api(), alice.accessToken, 'chat_file', { bytes, name: 'alice.bin' });
      const held = await init(bob, 'init', 'chat_file', 'bob.bin', bytes.length, sha256(bytes));
      const unknown = await init(bob, 'init', 'chat_file', 'bob.bin', bytes.length, sha256(randomBytes(32)));
      expect(held.instant).to.equal(false);
      expect(Object.keys(held).sort()).to.deep.equal(Object.keys(unknown).sort());
      const started = held as Extract<Init, { instant: false }>;
      expect(started.totalChunks).to.equal(1);
      const part = await postForm(
        api(),
        '/api/v1/files/upload/part',
        bob.accessToken,
        { uploadId: started.uploadId, chunkIndex: '0' },
        { bytes, name: 'bob.bin' },
      );
      expect(part.body.code, JSON.stringify(part.body)).to.equal(0);
      const file = await api().ok<FileView>('POST', '/api/v1/files/upload/complete', {
        token: bob.accessToken,
        body: { uploadId: started.uploadId },
      });
      expect(sha256((await download(file.url)).bytes)).to.equal(sha256(bytes));
    });
  });
}
