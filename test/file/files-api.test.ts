import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import sharp from 'sharp';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser, type SignedIn } from '../support/api-client.ts';
import { type MinioServer, startMinio } from '../support/minio.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { WsClient } from '../support/ws-client.ts';
import { download, type FileView, postForm, type Started, sha256, uploadSimple } from './files-client.ts';

const MiB = 1024 * 1024;
const pngOf = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();

/** The same suite on the embedded store (local directory, PGlite) and on a real MinIO server (PostgreSQL). */
for (const store of ['local', 'minio'] as const) {
  describe(`files over HTTP [${store}]`, function () {
    this.timeout(180_000);
    let platform: TestPlatform;
    let minio: MinioServer | undefined;
    let alice: SignedIn;
    let bob: SignedIn;
    const api = () => platform.api;

    before(async () => {
      if (store === 'minio') minio = await startMinio();
      // A quota that the 50 MB upload fits in and a second large one does not.
      platform = await startPlatform(store === 'minio' ? 'postgresql' : 'pglite', {
        FILE_USER_QUOTA_MB: '80',
        ...(minio?.env ?? {}),
      });
      alice = await registerUser(api());
      bob = await registerUser(api());
    });
    after(async () => {
      await platform?.stop();
      await minio?.stop();
    });

    it('stores an image uploaded in one request and serves the same bytes, inline, to its owner only', async () => {
      const png = await pngOf(64, 48);
      const uploaded = await uploadSimple(api(), alice.accessToken, 'chat_image', {
        bytes: png,
        name: 'photo.png',
        claimedType: 'image/png',
      });
      expect(uploaded.status, JSON.stringify(uploaded.body)).to.equal(200);
      const file = uploaded.body.data;
      expect(file).to.include({
        fileName: 'photo.png',
        size: png.length,
        mimeType: 'image/png',
        type: 'chat_image',
      });
      const view = await api().ok<FileView>('GET', `/api/v1/files/${file.fileId}`, {
        token: alice.accessToken,
      });
      const { response, bytes } = await download(view.url);
      expect(response.status).to.equal(200);
      expect(sha256(bytes)).to.equal(sha256(png));
      expect(response.headers.get('content-type')).to.equal('image/png');
      expect(response.headers.get('content-disposition')).to.match(/^inline; filename="photo.png"/);
      const refused = await api().call('GET', `/api/v1/files/${file.fileId}`, { token: bob.accessToken });
      expect(refused.status).to.equal(404);
      expect(refused.body.code).to.equal(ErrorCode.FILE_NOT_FOUND);
      const unknown = await api().call('GET', '/api/v1/files/123456789', { token: alice.accessToken });
      expect(unknown.body.code).to.equal(ErrorCode.FILE_NOT_FOUND);
      expect((await api().call('GET', `/api/v1/files/${file.fileId}`)).status).to.equal(401);
    });

    it("records an image's dimensions, makes a thumbnail, and removes EXIF (GPS) from what it serves", async () => {
      const jpeg = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#208040' } })
        .jpeg()
        .withExif({
          IFD0: { Copyright: 'someone' },
          IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 3230/100' },
        })
        .toBuffer();
      expect((await sharp(jpeg).metadata()).exif).to.not.equal(undefined);
      const file = (
        await uploadSimple(api(), alice.accessToken, 'chat_image', { bytes: jpeg, name: 'trip.jpg' })
      ).body.data;
      expect(file).to.include({ width: 800, height: 600, mimeType: 'image/jpeg' });
      const served = (await download(file.url)).bytes;
      const metadata = await sharp(served).metadata();
      expect(metadata.exif).to.equal(undefined);
      expect([metadata.width, metadata.height]).to.deep.equal([800, 600]);
      expect(file.size).to.equal(served.length);
      const thumbnail = await sharp((await download(file.thumbnail!)).bytes).metadata();
      expect([thumbnail.format, thumbnail.width, thumbnail.height]).to.deep.equal(['webp', 256, 192]);
    });

    it('reads the duration of a voice message from its container', async () => {
      // One second of 8 kHz 16-bit mono PCM in a WAV container.
      const pcm = Buffer.alloc(16_000);
      const header = Buffer.alloc(44);
      header.write('RIFF', 0);
      header.writeUInt32LE(36 + pcm.length, 4);
      header.write('WAVEfmt ', 8);
      header.writeUInt32LE(16, 16);
      header.writeUInt16LE(1, 20);
      header.writeUInt16LE(1, 22);
      header.writeUInt32LE(8000, 24);
      header.writeUInt32LE(16_000, 28);
      header.writeUInt16LE(2, 32);
      header.writeUInt16LE(16, 34);
      header.write('data', 36);
      header.writeUInt32LE(pcm.length, 40);
      const voice = await uploadSimple(api(), alice.accessToken, 'chat_voice', {
        bytes: Buffer.concat([header, pcm]),
        name: 'hello.wav',
      });
      expect(voice.body.code, JSON.stringify(voice.body)).to.equal(0);
      expect(voice.body.data.durationMs).to.equal(1000);
    });

    it("tells the uploader's devices that an upload completed (NOTIFICATION file.upload_completed)", async () => {
      const ws = await WsClient.connect(platform.host.url, alice.accessToken);
      try {
        const png = await pngOf(10, 10);
        const file = (
          await uploadSimple(api(), alice.accessToken, 'chat_image', { bytes: png, name: 'n.png' })
        ).body.data;
        const notice = await ws.next(
          (f) =>
            f.type === 'NOTIFICATION' &&
            f.data.kind === 'file.upload_completed' &&
            f.data.payload.fileId === file.fileId,
          10_000,
        );
        expect(notice.data.payload).to.include({
          fileName: 'n.png',
          size: png.length,
          mimeType: 'image/png',
        });
      } finally {
        await ws.close();
      }
    });

    it('reads the type from the content: a lying image is refused, a lying file is corrected and served as an attachment', async () => {
      const html = Buffer.from('<html><script>alert(document.cookie)</script></html>');
      const asImage = await uploadSimple(api(), alice.accessToken, 'chat_image', {
        bytes: html,
        name: 'cat.png',
        claimedType: 'image/png',
      });
      expect(asImage.status).to.equal(400);
      expect(asImage.body.code).to.equal(ErrorCode.FILE_TYPE_UNSUPPORTED);
      const zip = Buffer.concat([Buffer.from('504b0304', 'hex'), randomBytes(200)]);
      const claimed = await uploadSimple(api(), alice.accessToken, 'chat_file', {
        bytes: html,
        name: 'page.html',
        claimedType: 'text/html',
      });
      expect(claimed.body.data.mimeType).to.equal('application/octet-stream');
      const { response } = await download(claimed.body.data.url);
      expect(response.headers.get('content-type')).to.equal('application/octet-stream');
      expect(response.headers.get('content-disposition')).to.match(/^attachment; /);
      if (store === 'local') expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
      const corrected = await uploadSimple(api(), alice.accessToken, 'chat_file', {
        bytes: zip,
        name: 'notes.txt',
        claimedType: 'text/plain',
      });
      expect(corrected.body.data.mimeType).to.equal('application/zip');
    });

    it('stores identical bytes once, and each uploader gets a file of their own', async () => {
      const png = await pngOf(30, 31);
      const first = (
        await uploadSimple(api(), alice.accessToken, 'chat_image', { bytes: png, name: 'a.png' })
      ).body.data;
      const second = (await uploadSimple(api(), bob.accessToken, 'chat_image', { bytes: png, name: 'b.png' }))
        .body.data;
      expect(second.fileId).to.not.equal(first.fileId);
      expect(second.fileName).to.equal('b.png');
      // Both URLs name the same stored object.
      expect(new URL(second.url).pathname).to.equal(new URL(first.url).pathname);
      // Bob's copy is his: Alice's file stays hers alone.
      const refused = await api().call('GET', `/api/v1/files/${first.fileId}`, { token: bob.accessToken });
      expect(refused.body.code).to.equal(ErrorCode.FILE_NOT_FOUND);
    });

    it('uploads a 50 MB file in chunks, resumes after an interruption from what the server holds, and serves ranges', async () => {
      const bytes = randomBytes(50 * MiB);
      const started = await api().ok<Started>('POST', '/api/v1/files/upload/init', {
        token: alice.accessToken,
        body: { fileName: 'big.bin', fileSize: bytes.length, type: 'chat_file' },
      });
      expect(started.totalChunks).to.equal(Math.ceil(bytes.length / started.chunkSize));
      const chunk = (index: number) =>
        bytes.subarray(index * started.chunkSize, Math.min(bytes.length, (index + 1) * started.chunkSize));
      const send = (index: number, token = alice.accessToken) =>
        postForm(
          api(),
          '/api/v1/files/upload/part',
          token,
          { uploadId: started.uploadId, chunkIndex: String(index) },
          { bytes: chunk(index), name: 'big.bin' },
        );
      for (const index of [0, 1, 2, 5]) expect((await send(index)).body.code).to.equal(0);
      // The connection is lost here; completing now names what is missing.
      const early = await api().call('POST', '/api/v1/files/upload/complete', {
        token: alice.accessToken,
        body: { uploadId: started.uploadId },
      });
      expect(early.body.code).to.equal(ErrorCode.FILE_CHUNK_INDEX_INVALID);
      // Someone else cannot see or add to the upload.
      expect((await send(3, bob.accessToken)).body.code).to.equal(ErrorCode.FILE_UPLOAD_ID_INVALID);
      const status = await api().ok<{ uploadedChunks: number[] }>(
        'GET',
        `/api/v1/files/upload/${started.uploadId}`,
        { token: alice.accessToken },
      );
      expect(status.uploadedChunks).to.deep.equal([0, 1, 2, 5]);
      for (let index = 0; index < started.totalChunks; index++)
        if (!status.uploadedChunks.includes(index)) expect((await send(index)).body.code).to.equal(0);
      const wrongSize = await postForm(
        api(),
        '/api/v1/files/upload/part',
        alice.accessToken,
        { uploadId: started.uploadId, chunkIndex: '0' },
        { bytes: randomBytes(10), name: 'big.bin' },
      );
      expect(wrongSize.body.code).to.equal(ErrorCode.FILE_CHUNK_INDEX_INVALID);
      const file = await api().ok<FileView>('POST', '/api/v1/files/upload/complete', {
        token: alice.accessToken,
        body: { uploadId: started.uploadId },
      });
      expect(file.size).to.equal(bytes.length);
      const whole = await download(file.url);
      expect(sha256(whole.bytes)).to.equal(sha256(bytes));
      expect(whole.response.headers.get('content-disposition')).to.match(/^attachment; filename="big.bin"/);
      const ranged = await download(file.url, `bytes=${30 * MiB}-${30 * MiB + 999}`);
      expect(ranged.response.status).to.equal(206);
      expect(ranged.bytes.equals(bytes.subarray(30 * MiB, 30 * MiB + 1000))).to.equal(true);
      // A completed upload cannot be completed again.
      const again = await api().call('POST', '/api/v1/files/upload/complete', {
        token: alice.accessToken,
        body: { uploadId: started.uploadId },
      });
      expect(again.body.code).to.equal(ErrorCode.FILE_UPLOAD_ID_INVALID);
    });

    it("refuses what passes the user's quota with 070103, and what passes a type's size limit with 070101", async () => {
      const overQuota = await api().call('POST', '/api/v1/files/upload/init', {
        token: alice.accessToken,
        body: { fileName: 'more.bin', fileSize: 40 * MiB, type: 'chat_file' },
      });
      expect(overQuota.status).to.equal(403);
      expect(overQuota.body.code).to.equal(ErrorCode.FILE_QUOTA_EXCEEDED);
      const tooLarge = await api().call('POST', '/api/v1/files/upload/init', {
        token: bob.accessToken,
        body: { fileName: 'huge.png', fileSize: 21 * MiB, type: 'chat_image' },
      });
      expect(tooLarge.status).to.equal(413);
      expect(tooLarge.body.code).to.equal(ErrorCode.FILE_TOO_LARGE);
    });

    it('lets parallel uploads that together pass the quota take only the room there is', async () => {
      const carol = await registerUser(api());
      // 80 MB of quota: five of 15 MB fit, the other three are refused, however they interleave.
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          api().call('POST', '/api/v1/files/upload/init', {
            token: carol.accessToken,
            body: { fileName: `part${i}.bin`, fileSize: 15 * MiB, type: 'chat_file' },
          }),
        ),
      );
      const codes = answers.map((answer) => answer.body.code).sort((a, b) => a - b);
      expect(codes).to.deep.equal([0, 0, 0, 0, 0, ...Array(3).fill(ErrorCode.FILE_QUOTA_EXCEEDED)]);
      const refused = answers.find((answer) => answer.body.code !== 0)!;
      expect(refused.status).to.equal(403);
      expect(refused.body.data).to.include({ usedBytes: 75 * MiB, quotaBytes: 80 * MiB });
    });

    it('takes a direct upload to a signed URL and checks it on completion', async () => {
      const png = await pngOf(20, 10);
      const started = await api().ok<Started & { uploadUrl: string }>(
        'POST',
        '/api/v1/files/upload/presign',
        {
          token: bob.accessToken,
          body: { fileName: 'direct.png', fileSize: png.length, type: 'chat_image' },
        },
      );
      const early = await api().call('POST', '/api/v1/files/upload/complete', {
        token: bob.accessToken,
        body: { uploadId: started.uploadId },
      });
      expect(early.body.code).to.equal(ErrorCode.FILE_UPLOAD_FAILED);
      const started2 = await api().ok<Started & { uploadUrl: string }>(
        'POST',
        '/api/v1/files/upload/presign',
        {
          token: bob.accessToken,
          body: { fileName: 'direct.png', fileSize: png.length, type: 'chat_image' },
        },
      );
      const put = await fetch(started2.uploadUrl, { method: 'PUT', body: new Uint8Array(png) });
      expect(put.status).to.equal(200);
      const file = await api().ok<FileView>('POST', '/api/v1/files/upload/complete', {
        token: bob.accessToken,
        body: { uploadId: started2.uploadId },
      });
      expect(file.mimeType).to.equal('image/png');
      expect(sha256((await download(file.url)).bytes)).to.equal(sha256(png));
    });
  });
}
