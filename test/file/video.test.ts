import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import sharp from 'sharp';
import { registerUser } from '../support/api-client.ts';
import { type MinioServer, startMinio } from '../support/minio.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { clientMsgId } from '../support/ws-client.ts';
import { castOf } from './cast.ts';
import { download, type FileView, type Started, uploadSimple } from './files-client.ts';

/**
 * A 2 s, 320×240 MP4 with a sound track, drawn by ffmpeg itself (scripts/test-env/ensure-ffmpeg.sh
 * installs it); the sound track is what music-metadata reads a duration from when ffmpeg is off.
 */
async function testVideo(): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'anychat-test-video-'));
  try {
    const out = join(dir, 'clip.mp4');
    await promisify(execFile)('ffmpeg', [
      '-nostdin',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=10',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440',
      '-t',
      '2',
      '-pix_fmt',
      'yuv420p',
      out,
    ]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Random bytes behind an MP4 `ftyp` box: the type check takes it for a video, ffmpeg cannot read it. */
const corruptVideo = () =>
  Buffer.concat([
    Buffer.from([0, 0, 0, 0x18]),
    Buffer.from('ftypisom'),
    Buffer.from([0, 0, 2, 0]),
    Buffer.from('isomiso2'),
    randomBytes(64 * 1024),
  ]);

/** Video cover frames and durations (ffmpeg/ffprobe), on the embedded store and on a real MinIO server. */
for (const store of ['local', 'minio'] as const) {
  describe(`video covers [${store}]`, function () {
    this.timeout(120_000);
    let platform: TestPlatform;
    let minio: MinioServer | undefined;
    let video: Buffer;
    const api = () => platform.api;

    before(async () => {
      video = await testVideo();
      if (store === 'minio') minio = await startMinio();
      platform = await startPlatform(store === 'minio' ? 'postgresql' : 'pglite', minio?.env ?? {});
    });
    after(async () => {
      await platform?.stop();
      await minio?.stop();
    });

    it('sends a video: NEW_MESSAGE content has its duration, dimensions and a WebP cover frame', async () => {
      const { alice, bob, carol } = await castOf(api(), 'videos');
      const file = (
        await uploadSimple(api(), alice.accessToken, 'chat_video', { bytes: video, name: 'clip.mp4' })
      ).body.data;
      const sent = await api().ok<{ messageId: string; sessionId: string }>('POST', '/api/v1/messages', {
        token: alice.accessToken,
        body: {
          sessionType: 'single',
          targetId: bob.userId,
          contentType: 'video',
          content: { fileId: file.fileId },
          clientMsgId: clientMsgId(),
        },
      });
      const { messages } = await api().ok<{
        messages: { messageId: string; content: Record<string, unknown> }[];
      }>('GET', `/api/v1/messages/history?sessionId=${encodeURIComponent(sent.sessionId)}`, {
        token: bob.accessToken,
      });
      const content = messages.find((m) => m.messageId === sent.messageId)!.content;
      expect(content).to.deep.include({
        fileId: file.fileId,
        mimeType: 'video/mp4',
        width: 320,
        height: 240,
      });
      // Message content carries the duration in seconds, as URL-based video content does.
      expect(content.duration).to.be.within(1.9, 2.1);
      const thumbnailRoute = new URL(content.thumbnailUrl as string).pathname;
      const thumbnail = await api().ok<{ url: string }>('GET', thumbnailRoute, { token: bob.accessToken });
      const cover = await sharp((await download(thumbnail.url)).bytes).metadata();
      expect([cover.format, cover.width, cover.height]).to.deep.equal(['webp', 256, 192]);
      expect((await api().call('GET', thumbnailRoute, { token: carol.accessToken })).status).to.equal(404);
    });

    it('processes a video completed from a direct upload the same way (read back from the store)', async () => {
      const dave = await registerUser(api());
      const started = await api().ok<Started & { uploadUrl: string }>(
        'POST',
        '/api/v1/files/upload/presign',
        {
          token: dave.accessToken,
          body: { fileName: 'clip.mp4', fileSize: video.length, type: 'chat_video' },
        },
      );
      expect(
        (await fetch(started.uploadUrl, { method: 'PUT', body: new Uint8Array(video) })).status,
      ).to.equal(200);
      const file = await api().ok<FileView>('POST', '/api/v1/files/upload/complete', {
        token: dave.accessToken,
        body: { uploadId: started.uploadId },
      });
      expect([file.width, file.height]).to.deep.equal([320, 240]);
      expect(file.durationMs).to.be.within(1900, 2100);
      expect(file.thumbnail).to.be.a('string');
    });

    it('accepts a corrupt video that ffmpeg cannot read, without duration or cover (no 500)', async () => {
      const alice = await registerUser(api());
      const uploaded = await uploadSimple(api(), alice.accessToken, 'chat_video', {
        bytes: corruptVideo(),
        name: 'broken.mp4',
      });
      expect(uploaded.status, JSON.stringify(uploaded.body)).to.equal(200);
      expect(uploaded.body.data).to.include({
        mimeType: 'video/mp4',
        thumbnail: null,
        width: null,
        height: null,
        durationMs: null,
      });
    });
  });
}

describe('video covers without ffmpeg', function () {
  this.timeout(120_000);
  let platform: TestPlatform;

  before(async () => {
    platform = await startPlatform('pglite', {
      FILE_FFMPEG_PATH: '/nonexistent/ffmpeg',
      FILE_FFPROBE_PATH: '/nonexistent/ffprobe',
    });
  });
  after(async () => {
    await platform?.stop();
  });

  it('still takes a video, with the duration its container gives and no cover', async () => {
    const alice = await registerUser(platform.api);
    const uploaded = await uploadSimple(platform.api, alice.accessToken, 'chat_video', {
      bytes: await testVideo(),
      name: 'clip.mp4',
    });
    expect(uploaded.status, JSON.stringify(uploaded.body)).to.equal(200);
    expect(uploaded.body.data).to.include({ thumbnail: null, width: null, height: null });
    expect(uploaded.body.data.durationMs).to.be.within(1900, 2100);
  });
});

/**
 * Tools that misbehave as ffmpeg may on a hostile file: stand-in scripts (a real ffmpeg cannot be
 * made to hang on demand) that answer `-version` and then hang (ffprobe) or write without end
 * (ffmpeg). The upload still completes, without what they would have told.
 */
describe('video tools that hang or flood', function () {
  this.timeout(120_000);
  let platform: TestPlatform;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anychat-fake-ffmpeg-'));
    const tool = async (name: string, behaviour: string) => {
      const path = join(dir, name);
      await writeFile(path, `#!/bin/sh\n[ "$1" = -version ] && exit 0\n${behaviour}\n`);
      await chmod(path, 0o755);
      return path;
    };
    platform = await startPlatform('pglite', {
      FILE_FFPROBE_PATH: await tool('ffprobe', 'exec sleep 600'),
      FILE_FFMPEG_PATH: await tool('ffmpeg', 'exec cat /dev/zero'),
      FILE_FFMPEG_TIMEOUT_SECONDS: '1',
    });
  });
  after(async () => {
    await platform?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('kills a tool past its time limit or its output limit, and takes the video without a cover', async () => {
    const alice = await registerUser(platform.api);
    const uploaded = await uploadSimple(platform.api, alice.accessToken, 'chat_video', {
      bytes: await testVideo(),
      name: 'clip.mp4',
    });
    expect(uploaded.status, JSON.stringify(uploaded.body)).to.equal(200);
    expect(uploaded.body.data).to.include({ thumbnail: null, width: null, height: null });
    // ffprobe said nothing, so the duration is the container's (music-metadata).
    expect(uploaded.body.data.durationMs).to.be.within(1900, 2100);
  });
});
