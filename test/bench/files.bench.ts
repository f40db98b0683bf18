/**
 * File throughput: `node test/bench/files.bench.ts`. A 50 MB file uploaded and downloaded through
 * the file service (multipart in 5 MiB chunks, then the signed URL) beside a direct `minio` client
 * copy (putObject / getObject) of the same bytes to the same MinIO server, and through the embedded
 * local store. Three rounds each; the median is reported. Results go to BENCHMARKS.md by hand, with
 * the machine's load.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'minio';
import { download, type FileView, postForm, sha256 } from '../file/files-client.ts';
import { registerUser, type SignedIn } from '../support/api-client.ts';
import { startMinio } from '../support/minio.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

const SIZE = 50 * 1024 * 1024;
const ROUNDS = 3;
const bytes = randomBytes(SIZE);
const digest = sha256(bytes);
const mbps = (ms: number) => SIZE / 1e6 / (ms / 1000);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function throughService(platform: TestPlatform, user: SignedIn) {
  const api = platform.api;
  let url = '';
  const upload = await timed(async () => {
    const started = await api.ok<{ uploadId: string; chunkSize: number; totalChunks: number }>(
      'POST',
      '/api/v1/files/upload/init',
      { token: user.accessToken, body: { fileName: 'bench.bin', fileSize: SIZE, type: 'chat_file' } },
    );
    for (let index = 0; index < started.totalChunks; index++) {
      const chunk = bytes.subarray(index * started.chunkSize, (index + 1) * started.chunkSize);
      const part = await postForm(
        api,
        '/api/v1/files/upload/part',
        user.accessToken,
        { uploadId: started.uploadId, chunkIndex: String(index) },
        { bytes: chunk, name: 'bench.bin' },
      );
      if (part.body.code !== 0) throw new Error(`part ${index}: ${JSON.stringify(part.body)}`);
    }
    const file = await api.ok<FileView>('POST', '/api/v1/files/upload/complete', {
      token: user.accessToken,
      body: { uploadId: started.uploadId },
    });
    url = file.url;
  });
  let downloaded: Buffer = Buffer.alloc(0);
  const downloadMs = await timed(async () => {
    downloaded = (await download(url)).bytes;
  });
  if (sha256(downloaded) !== digest) throw new Error('downloaded bytes differ');
  return { upload, download: downloadMs };
}

const minio = await startMinio();
const results: Array<{ what: string; upload: number; download: number }> = [];
try {
  const client = new Client({
    endPoint: '127.0.0.1',
    port: Number(new URL(minio.endpoint).port),
    useSSL: false,
    accessKey: minio.accessKey,
    secretKey: minio.secretKey,
  });
  await client.makeBucket('bench', 'us-east-1');
  const direct = { upload: [] as number[], download: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    direct.upload.push(
      await timed(async () => void (await client.putObject('bench', `b${round}`, bytes, SIZE))),
    );
    direct.download.push(
      await timed(async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of await client.getObject('bench', `b${round}`)) chunks.push(chunk as Buffer);
        if (sha256(Buffer.concat(chunks)) !== digest) throw new Error('direct copy differs');
      }),
    );
  }
  results.push({
    what: 'minio client, direct',
    upload: median(direct.upload),
    download: median(direct.download),
  });

  for (const store of ['minio', 'local'] as const) {
    const platform = await startPlatform(
      store === 'minio' ? 'postgresql' : 'pglite',
      store === 'minio' ? minio.env : {},
    );
    try {
      const user = await registerUser(platform.api);
      const rounds = { upload: [] as number[], download: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        const run = await throughService(platform, user);
        rounds.upload.push(run.upload);
        rounds.download.push(run.download);
      }
      results.push({
        what: store === 'minio' ? 'file service on MinIO' : 'file service, embedded local store',
        upload: median(rounds.upload),
        download: median(rounds.download),
      });
    } finally {
      await platform.stop();
    }
  }
} finally {
  await minio.stop();
}
console.log('| path | upload 50 MB | MB/s | download 50 MB | MB/s |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of results)
  console.log(
    `| ${r.what} | ${Math.round(r.upload)} ms | ${mbps(r.upload).toFixed(0)} | ${Math.round(r.download)} ms | ${mbps(r.download).toFixed(0)} |`,
  );
