import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import sharp from 'sharp';
import { registerUser, type SignedIn } from '../support/api-client.ts';
import { type MinioServer, startMinio } from '../support/minio.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { type Frame, WsClient } from '../support/ws-client.ts';
import { type FileView, postForm, type Started } from './files-client.ts';

/** NOTIFICATION file.processing over a real WebSocket, on the embedded store and on a real MinIO server. */
for (const store of ['local', 'minio'] as const) {
  describe(`upload progress notices [${store}]`, function () {
    this.timeout(120_000);
    let platform: TestPlatform;
    let minio: MinioServer | undefined;
    let alice: SignedIn;
    const api = () => platform.api;

    /** A multipart upload of these bytes, chunk after chunk, then complete. */
    async function uploadInChunks(type: string, name: string, bytes: Buffer): Promise<Started> {
      const started = await api().ok<Started>('POST', '/api/v1/files/upload/init', {
        token: alice.accessToken,
        body: { fileName: name, fileSize: bytes.length, type },
      });
      for (let index = 0; index < started.totalChunks; index++) {
        const chunk = bytes.subarray(index * started.chunkSize, (index + 1) * started.chunkSize);
        const part = await postForm(
          api(),
          '/api/v1/files/upload/part',
          alice.accessToken,
          { uploadId: started.uploadId, chunkIndex: String(index) },
          { bytes: chunk, name },
        );
        expect(part.body.code, JSON.stringify(part.body)).to.equal(0);
      }
      await api().ok<FileView>('POST', '/api/v1/files/upload/complete', {
        token: alice.accessToken,
        body: { uploadId: started.uploadId },
      });
      return started;
    }
    const notice = (ws: WsClient, kind: string, match: (payload: Record<string, unknown>) => boolean) =>
      ws.next(
        (f: Frame) =>
          f.type === 'NOTIFICATION' &&
          f.data.kind === kind &&
          match(f.data.payload as Record<string, unknown>),
        10_000,
      );

    before(async () => {
      if (store === 'minio') minio = await startMinio();
      platform = await startPlatform(store === 'minio' ? 'postgresql' : 'pglite', minio?.env ?? {});
      alice = await registerUser(api());
    });
    after(async () => {
      await platform?.stop();
      await minio?.stop();
    });

    it("tells the uploader's devices of each chunk received, then that the upload completed", async () => {
      const ws = await WsClient.connect(platform.host.url, alice.accessToken);
      try {
        const bytes = randomBytes(12 * 1024 * 1024);
        const started = await uploadInChunks('chat_file', 'big.bin', bytes);
        expect(started.totalChunks).to.equal(3);
        const seqs: number[] = [];
        for (const received of [1, 2, 3]) {
          const frame = await notice(
            ws,
            'file.processing',
            (p) => p.uploadId === started.uploadId && p.receivedChunks === received,
          );
          expect(frame.data.payload).to.deep.equal({
            stage: 'uploading',
            uploadId: started.uploadId,
            fileId: started.fileId,
            receivedChunks: received,
            totalChunks: 3,
          });
          seqs.push(frame.data.syncSeq);
        }
        const completed = await notice(ws, 'file.upload_completed', (p) => p.fileId === started.fileId);
        expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
        expect(completed.data.syncSeq).to.be.greaterThan(seqs[2]!);
        // A plain file is not processed: no such notice for it.
        expect(
          ws.frames.some(
            (f) =>
              f.type === 'NOTIFICATION' &&
              f.data.kind === 'file.processing' &&
              f.data.payload.stage === 'processing' &&
              f.data.payload.uploadId === started.uploadId,
          ),
        ).to.equal(false);
      } finally {
        await ws.close();
      }
    });

    it('tells them that an image is being processed before it is ready', async () => {
      const ws = await WsClient.connect(platform.host.url, alice.accessToken);
      try {
        const png = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#123456' } })
          .png()
          .toBuffer();
        const started = await uploadInChunks('chat_image', 'big.png', png);
        const processing = await notice(
          ws,
          'file.processing',
          (p) => p.uploadId === started.uploadId && p.stage === 'processing',
        );
        expect(processing.data.payload).to.deep.equal({
          stage: 'processing',
          uploadId: started.uploadId,
          fileId: started.fileId,
        });
        const completed = await notice(ws, 'file.upload_completed', (p) => p.fileId === started.fileId);
        expect(completed.data.syncSeq).to.be.greaterThan(processing.data.syncSeq);
      } finally {
        await ws.close();
      }
    });
  });
}
