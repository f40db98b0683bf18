import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { WEB_CONTENT_SECURITY_POLICY } from '../../services/platform/http/web-client.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { buildWebClient } from '../support/web.ts';

describe('web client: served at / by the embedded platform, API reference at /docs', function () {
  this.timeout(180_000);
  let platform: TestPlatform;

  before(async () => {
    buildWebClient();
    platform = await startPlatform('pglite');
  });
  after(async () => {
    await platform?.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${platform.host.url}${path}`, { headers, redirect: 'manual' });

  /** A browser's revalidation (fetch adds `cache-control: no-cache` to conditional requests, which forbids a 304). */
  const revalidate = (path: string, etag: string) =>
    new Promise<number | undefined>((resolve, reject) => {
      request(`${platform.host.url}${path}`, { headers: { 'if-none-match': etag } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      })
        .on('error', reject)
        .end();
    });

  it('serves the app page with a strict Content-Security-Policy and no caching', async () => {
    const response = await get('/');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).to.equal(WEB_CONTENT_SECURITY_POLICY);
    expect(csp)
      .to.include("script-src 'self'")
      .and.not.include('unsafe-inline')
      .and.not.include('unsafe-eval');
    expect(csp).to.include("frame-ancestors 'none'").and.include("object-src 'none'");
    expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(response.headers.get('cache-control')).to.equal('no-cache');
    const html = await response.text();
    expect(html).to.include('<div id="app"></div>');
    // No inline script: the CSP would block it.
    expect(html).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('serves hashed assets with their types, cached for a year, and answers 304 to a known ETag', async () => {
    const html = await (await get('/')).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const style = /href="(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(script, 'script in the page').to.be.a('string');
    expect(style, 'stylesheet in the page').to.be.a('string');
    const js = await get(script!);
    expect(js.status).to.equal(200);
    expect(js.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
    const css = await get(style!);
    expect(css.headers.get('content-type')).to.equal('text/css; charset=utf-8');
    const etag = js.headers.get('etag')!;
    expect(await revalidate(script!, etag)).to.equal(304);
    expect((await get('/assets/missing-0000.js')).status).to.equal(404);
  });

  it('keeps the JavaScript the page loads at first within 250 KB gzipped (BENCHMARKS.md)', async () => {
    const html = await (await get('/')).text();
    const scripts = [
      ...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+)"/g),
    ];
    expect(scripts).not.to.be.empty;
    let gzipped = 0;
    for (const [, path] of scripts)
      gzipped += gzipSync(Buffer.from(await (await get(path!)).arrayBuffer())).length;
    console.log(
      `      initial JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzipped (${scripts.length} file(s))`,
    );
    expect(gzipped).to.be.at.most(250 * 1024);
  });

  it('answers page paths with the app (single-page fallback) but never shadows the API', async () => {
    const page = await get('/chat/s_1_2');
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('<div id="app"></div>');
    const api = await get('/api/v1/no-such-route');
    expect(api.status).to.equal(404);
    expect(api.headers.get('content-type') ?? '').not.to.include('text/html');
    expect((await get('/healthz')).headers.get('content-type')).to.include('application/json');
    const openapi = await get('/api/v1/openapi.json');
    expect(openapi.status).to.equal(200);
    expect(((await openapi.json()) as { openapi: string }).openapi).to.match(/^3\.1/);
  });

  it('serves /docs: Swagger UI over /api/v1/openapi.json, from the package, under the same CSP', async () => {
    for (const path of ['/docs', '/docs/']) {
      const response = await get(path);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-security-policy')).to.equal(WEB_CONTENT_SECURITY_POLICY);
      expect(await response.text()).to.include('/docs/swagger-ui-bundle.js');
    }
    const bundle = await get('/docs/swagger-ui-bundle.js');
    expect(bundle.status).to.equal(200);
    expect(bundle.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    expect((await bundle.text()).length).to.be.greaterThan(100_000);
    expect(await (await get('/docs/init.js')).text()).to.include('/api/v1/openapi.json');
    expect((await get('/docs/swagger-ui.css')).headers.get('content-type')).to.equal(
      'text/css; charset=utf-8',
    );
  });
});

describe('web client in the cluster shape: the gateways serve it (WEB_CLIENT), without a partial API reference', function () {
  this.timeout(180_000);
  const hosts: TestPlatform[] = [];

  before(async () => {
    buildWebClient();
    // What the operator runs: a gateway pod with WEB_CLIENT=true, and another service's pod without it
    // (in-process adapters here: serving pages involves no sidecar).
    const pod = { ANYCHAT_ADAPTER: 'embedded' };
    hosts.push(await startPlatform('pglite', { ...pod, SERVICES: 'gateway', WEB_CLIENT: 'true' }));
    hosts.push(await startPlatform('pglite', { ...pod, SERVICES: 'message' }));
  });
  after(async () => {
    for (const host of hosts) await host.stop();
  });

  it('serves the app and its pages from the gateway, under the same CSP', async () => {
    const [gateway] = hosts;
    for (const path of ['/', '/chat/s_1_2']) {
      const page = await fetch(`${gateway!.host.url}${path}`);
      expect(page.status, path).to.equal(200);
      expect(page.headers.get('content-security-policy')).to.equal(WEB_CONTENT_SECURITY_POLICY);
      expect(await page.text()).to.include('<div id="app"></div>');
    }
  });

  it('answers /docs with 404 there: the gateway documents its own routes only, not the whole API', async () => {
    const [gateway] = hosts;
    for (const path of ['/docs', '/docs/', '/docs/init.js', '/docs/swagger-ui-bundle.js'])
      expect((await fetch(`${gateway!.host.url}${path}`)).status, path).to.equal(404);
  });

  it('serves no page from a service that is not told to', async () => {
    const [, message] = hosts;
    expect((await fetch(`${message!.host.url}/`)).status).to.equal(404);
  });
});
