import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import sharp from 'sharp';
import {
  type BrowserUser,
  browserSuite,
  friendsOverApi,
  openChat,
  screenshot,
  signIn as signInAs,
} from '../support/browser.ts';
import { type MinioServer, startMinio } from '../support/minio.ts';

/**
 * The web client with files on S3 (a real MinIO), as a cluster keeps them: the file service hands
 * out URLs signed for MinIO's origin, not the page's. The page's Content-Security-Policy must name
 * that origin for images, media and uploads, or Chromium refuses them (a console error, and an
 * image that never loads). Local-disk storage, which the other browser suites use, cannot show this.
 */
describe('web client in Chromium: files on S3 (MinIO) under the page CSP', function () {
  this.timeout(600_000);
  let minio: MinioServer;
  const web = browserSuite('s3', {
    env: async () => {
      minio = await startMinio();
      return minio.env;
    },
  });
  let alice: BrowserUser;
  let bob: BrowserUser;
  const password = 'Passw0rd!s3files';
  let accounts: Record<string, string> = {};

  before(async () => {
    accounts = await friendsOverApi(web.platform.api, ['alice', 'bob'], password);
    alice = await web.user('alice');
    bob = await web.user('bob');
  });
  after(async () => {
    await minio?.stop();
  });

  const signIn = (user: BrowserUser) => signInAs(user, accounts[user.name]!, password);

  it("serves the page with a CSP that names the object store's origin for images, media and uploads", async () => {
    const response = await fetch(`${web.platform.host.url}/`);
    const directives = new Map(
      (response.headers.get('content-security-policy') ?? '').split('; ').map((directive) => {
        const [name, ...sources] = directive.split(' ');
        return [name, sources] as const;
      }),
    );
    const origin = new URL(minio.endpoint).origin;
    for (const name of ['img-src', 'media-src', 'connect-src'])
      expect(directives.get(name), name).to.include(origin);
    expect(directives.get('script-src')).to.deep.equal(["'self'"]);
  });

  it('an image sent from one browser loads from MinIO in the other', async () => {
    await signIn(alice);
    await signIn(bob);
    await alice.page.click('[data-test=tab-contacts]');
    await alice.page
      .locator('[data-test=friend]', { hasText: 'bob' })
      .locator('[data-test=chat-with]')
      .click();
    await alice.page.locator('[data-test=chat-title]', { hasText: 'bob' }).waitFor();
    const png = await sharp({
      create: { width: 320, height: 200, channels: 3, background: { r: 220, g: 38, b: 38 } },
    })
      .png()
      .toBuffer();
    await alice.page.setInputFiles('[data-test=image-input]', {
      name: 'red.png',
      mimeType: 'image/png',
      buffer: png,
    });
    await openChat(bob, 'alice');
    const thumbnail = bob.page.locator('[data-test=messages] [data-test=thumbnail]').last();
    await thumbnail.waitFor();
    await bob.page.waitForFunction(
      () => {
        const images = document.querySelectorAll<HTMLImageElement>('[data-test=thumbnail]');
        const last = images[images.length - 1];
        return last?.complete && last.naturalWidth > 0;
      },
      undefined,
      { timeout: 30_000 },
    );
    const source = await thumbnail.evaluate((image: HTMLImageElement) => image.currentSrc);
    expect(new URL(source).origin, 'the image came from the object store').to.equal(
      new URL(minio.endpoint).origin,
    );
    await screenshot(bob.page, 's3-image');
  });

  it('a file uploaded to MinIO downloads with the same bytes on the other side', async () => {
    const bytes = randomBytes(200 * 1024);
    await alice.page.setInputFiles('[data-test=file-input]', {
      name: 'notes.bin',
      mimeType: 'application/octet-stream',
      buffer: bytes,
    });
    const received = bob.page.locator('[data-test=messages] [data-test=file]', { hasText: 'notes.bin' });
    await received.waitFor();
    const [download] = await Promise.all([
      bob.page.waitForEvent('download'),
      received.locator('[data-test=file-download]').click(),
    ]);
    const downloaded = await readFile(await download.path());
    expect(createHash('sha256').update(downloaded).digest('hex')).to.equal(
      createHash('sha256').update(bytes).digest('hex'),
    );
  });

  it('no console error, CSP violation or dialog in either browser', () => {
    expect(alice.problems).to.deep.equal([]);
    expect(bob.problems).to.deep.equal([]);
  });
});
