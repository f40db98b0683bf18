import { LRUCache } from 'lru-cache';
import { type FetchLimits, fetchPage, previewableUrl } from './fetch-page.ts';
import { type PageMeta, pageMeta } from './page-meta.ts';

export type { FetchLimits } from './fetch-page.ts';

export interface LinkPreview extends PageMeta {
  /** The page the preview describes (after redirects). */
  url: string;
}

const CACHE_TTL_MS = 10 * 60_000;

/**
 * Link previews fetched by the server: the page's title, description, image and site name. Pages
 * are fetched under fetch-page.ts's limits and address policy; previews are kept a few minutes per
 * URL (refusals and failures are not).
 */
export class LinkPreviews {
  readonly #limits: FetchLimits;
  readonly #cache = new LRUCache<string, LinkPreview>({ max: 1000, ttl: CACHE_TTL_MS });

  constructor(limits: FetchLimits) {
    this.#limits = limits;
  }

  async preview(url: string): Promise<LinkPreview> {
    const key = previewableUrl(url).href;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const page = await fetchPage(key, this.#limits);
    const preview = { url: page.url, ...pageMeta(page.html, page.url) };
    this.#cache.set(key, preview);
    return preview;
  }
}
