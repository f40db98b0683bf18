import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../../services/file/storage/local-store.ts';
import { localStoreHandler } from '../../services/file/storage/local-store-http.ts';
import { S3Store } from '../../services/file/storage/s3-store.ts';
import { UrlSigner } from '../../services/file/storage/url-signer.ts';
import { type MinioServer, startMinio } from '../support/minio.ts';
import { objectStoreContract } from './object-store.contract.ts';

describe('object stores', function () {
  this.timeout(120_000);
  let dir: string;
  let server: Server;
  let local: LocalStore;
  let minio: MinioServer;
  let s3: S3Store;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'anychat-files-'));
    const signer = new UrlSigner(randomBytes(32));
    let base = '';
    local = new LocalStore({ root: dir, signer, publicUrl: () => base });
    const handle = localStoreHandler(local, signer, 64 * 1024 * 1024);
    server = createServer((request, response) => void handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    minio = await startMinio();
    s3 = new S3Store({
      endpoint: new URL(minio.endpoint),
      accessKey: minio.accessKey,
      secretKey: minio.secretKey,
      region: 'us-east-1',
    });
  });

  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await minio?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  objectStoreContract('local directory', () => local);
  objectStoreContract('S3 (MinIO)', () => s3);
});
