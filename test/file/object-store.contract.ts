/**
 * The behaviour both object stores of the file service keep (services/file/storage/port.ts): the
 * local directory of the embedded platform and S3 through the `minio` client (run against a real
 * MinIO server). Part sizes are S3's: every part but the last at least 5 MiB.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { expect } from 'chai';
import { NoSuchUpload, type ObjectStore } from '../../services/file/storage/port.ts';

const MiB = 1024 * 1024;

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function objectStoreContract(name: string, store: () => ObjectStore) {
  describe(`object store contract [${name}]`, function () {
    this.timeout(60_000);
    const bucket = `contract-${randomUUID().slice(0, 8)}`;
    const key = () => `u1/${randomUUID()}`;

    before(async () => {
      await store().ensureBuckets([bucket]);
      // A second call finds the bucket there and changes nothing.
      await store().ensureBuckets([bucket]);
    });

    it('stores, stats, reads (whole and by range) and removes an object', async () => {
      const name = key();
      const bytes = randomBytes(100_000);
      await store().put(bucket, name, bytes, bytes.length);
      expect(await store().stat(bucket, name)).to.deep.equal({ size: bytes.length });
      expect((await bytesOf(await store().get(bucket, name))).equals(bytes)).to.equal(true);
      const part = await bytesOf(await store().get(bucket, name, { start: 10, end: 19 }));
      expect(part.equals(bytes.subarray(10, 20))).to.equal(true);
      await store().remove(bucket, name);
      expect(await store().stat(bucket, name)).to.equal(null);
      // Removing what is gone is not an error.
      await store().remove(bucket, name);
    });

    it('answers null for an object that never existed', async () => {
      expect(await store().stat(bucket, key())).to.equal(null);
    });

    it('holds multipart parts uploaded out of order, lists them for a resume, and completes them in order', async () => {
      const name = key();
      const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1234)];
      const uploadId = await store().startMultipart(bucket, name);
      await store().uploadPart(bucket, name, uploadId, 3, parts[2]!);
      await store().uploadPart(bucket, name, uploadId, 1, parts[0]!);
      // What a client that lost its connection here learns: parts 1 and 3 are held.
      const held = await store().listParts(bucket, name, uploadId);
      expect(held.map((p) => [p.partNumber, p.size])).to.deep.equal([
        [1, 5 * MiB],
        [3, 1234],
      ]);
      await store().uploadPart(bucket, name, uploadId, 2, parts[1]!);
      const all = await store().listParts(bucket, name, uploadId);
      expect(all.map((p) => p.partNumber)).to.deep.equal([1, 2, 3]);
      expect(await store().stat(bucket, name)).to.equal(null);
      await store().completeMultipart(bucket, name, uploadId, all);
      const stored = await bytesOf(await store().get(bucket, name));
      expect(stored.equals(Buffer.concat(parts))).to.equal(true);
    });

    it('forgets an aborted upload, and names an unknown upload id', async () => {
      const name = key();
      const uploadId = await store().startMultipart(bucket, name);
      await store().uploadPart(bucket, name, uploadId, 1, randomBytes(10));
      await store().abortMultipart(bucket, name, uploadId);
      let error: unknown;
      try {
        await store().listParts(bucket, name, uploadId);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(NoSuchUpload);
      // An id of another object is unknown for this one.
      const other = await store().startMultipart(bucket, key());
      error = undefined;
      try {
        await store().uploadPart(bucket, name, other, 1, randomBytes(10));
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(NoSuchUpload);
    });

    it('signs GET URLs that serve the bytes with the fixed headers, by range too, and refuses a changed URL', async () => {
      const name = key();
      const bytes = randomBytes(4096);
      await store().put(bucket, name, bytes, bytes.length);
      const url = await store().signedGetUrl(bucket, name, 60, {
        contentType: 'image/png',
        contentDisposition: 'attachment; filename="a.png"',
      });
      const whole = await fetch(url);
      expect(whole.status).to.equal(200);
      expect(whole.headers.get('content-type')).to.equal('image/png');
      expect(whole.headers.get('content-disposition')).to.equal('attachment; filename="a.png"');
      expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).to.equal(true);
      const ranged = await fetch(url, { headers: { Range: 'bytes=100-199' } });
      expect(ranged.status).to.equal(206);
      expect(ranged.headers.get('content-range')).to.equal('bytes 100-199/4096');
      expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(100, 200))).to.equal(true);
      const changed = new URL(url);
      changed.pathname = changed.pathname.replace(/[^/]+$/, randomUUID());
      expect((await fetch(changed)).status).to.equal(403);
    });

    it('refuses a signed URL once it has expired', async () => {
      const name = key();
      await store().put(bucket, name, Buffer.from('x'), 1);
      const url = await store().signedGetUrl(bucket, name, 1, {
        contentType: 'text/plain',
        contentDisposition: 'attachment',
      });
      const expired = new Promise((resolve) => setTimeout(resolve, 2_100));
      await expired;
      expect((await fetch(url)).status).to.equal(403);
    });

    it('signs PUT URLs a client uploads an object to directly', async () => {
      const name = key();
      const bytes = randomBytes(70_000);
      const url = await store().signedPutUrl(bucket, name, 60);
      const put = await fetch(url, { method: 'PUT', body: bytes });
      expect(put.status).to.equal(200);
      expect((await bytesOf(await store().get(bucket, name))).equals(bytes)).to.equal(true);
    });
  });
}
