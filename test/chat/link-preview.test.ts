import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { forEachBackend, type TestPlatform } from '../support/platform.ts';

interface Preview {
  url: string;
  title: string | null;
  description: string | null;
  image: string | null;
  siteName: string | null;
}

const PAGE = `<!doctype html><html><head><title>Fallback</title>
<meta property="og:title" content="Release notes">
<meta property="og:description" content="What is new this month">
<meta property="og:image" content="/cover.png">
<meta property="og:site_name" content="Loopback News">
</head><body>hello</body></html>`;

/** A site on loopback with the pages the cases need; it counts the requests it answers. */
async function startSite(): Promise<{ server: Server; base: string; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const { port } = server.address() as AddressInfo;
    const redirect = (location: string) => response.writeHead(302, { location }).end();
    switch (path) {
      case '/page':
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
        return;
      case '/moved':
        return redirect('/page');
      case '/to-unspecified':
        return redirect(`http://0.0.0.0:${port}/page`);
      case '/loop':
        return redirect('/loop');
      case '/slow':
        return; // never answers
      case '/big':
        response.writeHead(200, { 'content-type': 'text/html' });
        response.write('<html><head><title>Big page</title>');
        response.write(`<!-- ${'x'.repeat(64 * 1024)} -->`);
        response.end('<meta property="og:description" content="past the limit"></head></html>');
        return;
      case '/data.json':
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"title":"no"}');
        return;
      default:
        response.writeHead(404, { 'content-type': 'text/html' }).end('<title>Not found</title>');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

function previewer(platform: () => TestPlatform) {
  let token = '';
  return async (url: string) => {
    token ||= (await registerUser(platform().api)).accessToken;
    return platform().api.call<Preview>(
      'GET',
      `/api/v1/messages/link-preview?url=${encodeURIComponent(url)}`,
      {
        token,
      },
    );
  };
}

forEachBackend('link previews: private addresses refused by default', (platform) => {
  let site: Awaited<ReturnType<typeof startSite>>;
  before(async () => {
    site = await startSite();
  });
  after(() => site.server.close());
  const preview = previewer(platform);

  it('never connects to loopback, by address or by name, nor to other schemes', async () => {
    for (const url of [
      `${site.base}/page`,
      `http://localhost:${new URL(site.base).port}/page`,
      `http://[::1]/`,
    ]) {
      const refused = await preview(url);
      expect(refused.status, url).to.equal(400);
      expect(refused.body.code, url).to.equal(ErrorCode.LINK_PREVIEW_REFUSED);
    }
    for (const url of ['file:///etc/passwd', 'ftp://example.com/', `http://user:pw@127.0.0.1/`]) {
      const refused = await preview(url);
      expect(refused.body.code, url).to.equal(ErrorCode.LINK_PREVIEW_REFUSED);
    }
    expect((await preview('not a url')).body.code).to.equal(ErrorCode.INVALID_PARAMS);
    // Nothing reached the site.
    expect([...site.hits.values()].reduce((a, b) => a + b, 0)).to.equal(0);
    const anonymous = await platform().api.call('GET', `/api/v1/messages/link-preview?url=${site.base}`);
    expect(anonymous.status).to.equal(401);
  });
});

forEachBackend(
  'link previews: loopback allowed by the setting',
  (platform) => {
    let site: Awaited<ReturnType<typeof startSite>>;
    before(async () => {
      site = await startSite();
    });
    after(() => {
      site.server.closeAllConnections();
      site.server.close();
    });
    const preview = previewer(platform);

    it('reads title, description, image and site name, following a redirect', async () => {
      const direct = await preview(`${site.base}/page`);
      expect(direct.body.data).to.deep.equal({
        url: `${site.base}/page`,
        title: 'Release notes',
        description: 'What is new this month',
        image: `${site.base}/cover.png`,
        siteName: 'Loopback News',
      });
      const moved = await preview(`${site.base}/moved`);
      expect(moved.body.data).to.include({ url: `${site.base}/page`, title: 'Release notes' });
      // Kept a while: asked again, the site is not asked again.
      const before = site.hits.get('/page');
      await preview(`${site.base}/page`);
      expect(site.hits.get('/page')).to.equal(before);
    });

    it('checks every redirect hop, and keeps to its redirect, time and size limits', async () => {
      const unspecified = await preview(`${site.base}/to-unspecified`);
      expect(unspecified.body.code).to.equal(ErrorCode.LINK_PREVIEW_REFUSED);
      const loop = await preview(`${site.base}/loop`);
      expect(loop.body.code).to.equal(ErrorCode.LINK_PREVIEW_FAILED);
      expect(site.hits.get('/loop')).to.equal(4);
      const started = Date.now();
      const slow = await preview(`${site.base}/slow`);
      expect(slow.status).to.equal(422);
      expect(slow.body.code).to.equal(ErrorCode.LINK_PREVIEW_FAILED);
      expect(Date.now() - started).to.be.below(5000);
      // Only the first bytes are read: a meta tag past the limit is not seen.
      const big = await preview(`${site.base}/big`);
      expect(big.body.data).to.include({ title: 'Big page', description: null });
      for (const path of ['/data.json', '/missing']) {
        const failed = await preview(`${site.base}${path}`);
        expect(failed.body.code, path).to.equal(ErrorCode.LINK_PREVIEW_FAILED);
      }
    });
  },
  {
    LINK_PREVIEW_ALLOW_PRIVATE_ADDRESSES: 'true',
    LINK_PREVIEW_TIMEOUT_MS: '1500',
    LINK_PREVIEW_MAX_BYTES: '8192',
  },
);
