import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import type Koa from 'koa';
import type { Logger } from '../logger.ts';

/**
 * Serves the web client (web/dist, built by scripts/build-web.mjs) at `/` and the API reference at
 * `/docs`. The files are read once at start into a table, so a request can only ever name one of
 * them (no path from the URL reaches the file system); paths the platform answers itself (`/api`,
 * `/ws`, health, metrics, Dapr) are never shadowed by the single-page fallback.
 */

/**
 * Seed 002 §10.7: scripts and styles from the page's own origin only (no inline code, no eval), no
 * plugins, no framing. Images and media also from blob: (local previews of uploads) and data:.
 * `connect`: other origins the page may connect to — the LiveKit server of calls and meetings,
 * which lives at its own address (its WebSocket, and the same origin over HTTP(S), where its client
 * asks why a connection failed).
 * `files`: the object store's origin where files live on S3/MinIO: the file service hands out URLs
 * signed for that origin, which the page shows (images, voice, video) and uploads to (presigned PUT).
 */
export function webContentSecurityPolicy(origins: { connect?: string[]; files?: string[] } = {}): string {
  const files = origins.files ?? [];
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    ["img-src 'self' blob: data:", ...files].join(' '),
    ["media-src 'self' blob:", ...files].join(' '),
    ["connect-src 'self'", ...(origins.connect ?? []), ...files].join(' '),
    "font-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const WEB_CONTENT_SECURITY_POLICY = webContentSecurityPolicy();

/** The origins of a LiveKit URL (ws:// or http://, wss:// or https://) in both schemes a client uses. */
export function liveKitOrigins(url: string | undefined): string[] {
  if (!url) return [];
  const { host, protocol } = new URL(url);
  const secure = protocol === 'wss:' || protocol === 'https:';
  return secure ? [`wss://${host}`, `https://${host}`] : [`ws://${host}`, `http://${host}`];
}

/** The origin of the object store's endpoint when files live on S3/MinIO (none on local disk). */
export function objectStoreOrigins(endpoint: URL | undefined): string[] {
  return endpoint ? [endpoint.origin] : [];
}

/** Paths of the platform itself: an unknown one there stays a 404, never the app's page. */
const PLATFORM_PREFIXES = ['/api/', '/dapr/', '/ws', '/healthz', '/readyz', '/metrics'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  /** Vite's hashed assets: the name changes with the content, so they may be kept for a year. */
  immutable: boolean;
}

function staticFile(path: string, immutable: boolean): StaticFile | undefined {
  const type = TYPES[extname(path)];
  if (!type) return undefined;
  return fileOf(readFileSync(path), type, immutable);
}

function fileOf(body: Buffer, type: string, immutable: boolean): StaticFile {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, type, etag, immutable };
}

const DEFAULT_LANGUAGE_META = /(<meta name="anychat-default-language" content=")[^"]*(")/;

/** The app page telling the client the platform's language (its choice when the browser's matches none). */
function withDefaultLanguage(page: StaticFile, language: string): StaticFile {
  const html = page.body.toString('utf8').replace(DEFAULT_LANGUAGE_META, `$1${language}$2`);
  return fileOf(Buffer.from(html), page.type, page.immutable);
}

function readTree(dir: string, urlPrefix: string, files: Map<string, StaticFile>) {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const url = `${urlPrefix}/${relative(dir, path).split(sep).join('/')}`;
    const file = staticFile(path, url.startsWith('/assets/'));
    if (file) files.set(url, file);
  }
}

/** swagger-ui-dist's bundle and stylesheet, served from the installed package beside /docs/init.js. */
function swaggerFiles(files: Map<string, StaticFile>) {
  const packageDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
    const file = staticFile(join(packageDir, name), false);
    if (file) files.set(`/docs/${name}`, file);
  }
}

/**
 * `docs`: also the API reference at /docs. Only where one process serves the whole REST API (the
 * embedded platform): a gateway of the cluster shape has its own routes' document alone.
 */
export function webClientMiddleware(
  distDir: string,
  logger: Logger,
  options: { docs: boolean; connect?: string[]; files?: string[]; defaultLanguage?: string } = { docs: true },
): Koa.Middleware {
  const policy = webContentSecurityPolicy({ connect: options.connect, files: options.files });
  const files = new Map<string, StaticFile>();
  if (existsSync(join(distDir, 'index.html'))) {
    readTree(distDir, '', files);
    if (options.docs) swaggerFiles(files);
    else for (const url of files.keys()) if (url.startsWith('/docs/')) files.delete(url);
  } else {
    logger.warn(
      { distDir },
      'web client not built (npm start builds it: node scripts/build-web.mjs); / answers 404',
    );
  }
  const page = files.get('/index.html');
  const index = page && options.defaultLanguage ? withDefaultLanguage(page, options.defaultLanguage) : page;
  if (index) files.set('/index.html', index);
  const docs = files.get('/docs/index.html');

  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const path = ctx.path;
    if (PLATFORM_PREFIXES.some((prefix) => path === prefix.replace(/\/$/, '') || path.startsWith(prefix)))
      return next();
    if (!options.docs && (path === '/docs' || path.startsWith('/docs/'))) return next();
    let file = files.get(path);
    if (!file && (path === '/docs' || path === '/docs/')) file = docs;
    // The single-page app routes in the browser: any other page-like path (no extension) is its page.
    if (!file && !extname(path) && !path.startsWith('/docs/')) file = index;
    if (!file) return next();
    ctx.set('Content-Security-Policy', policy);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.set('ETag', file.etag);
    ctx.type = file.type;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = file.body;
  };
}

/** Where the build puts the web client: web/dist beside services/. */
export const WEB_DIST_DIR = join(import.meta.dirname, '../../../web/dist');
