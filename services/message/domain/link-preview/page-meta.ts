import { Parser } from 'htmlparser2';

export interface PageMeta {
  title: string | null;
  description: string | null;
  image: string | null;
  siteName: string | null;
}

/** Longest title and description kept, in characters. */
const MAX_TEXT = 500;

const clean = (value: string | undefined): string | null => {
  const text = value?.replace(/\s+/g, ' ').trim();
  return text ? [...text].slice(0, MAX_TEXT).join('') : null;
};

/** An absolute http(s) URL from a page's attribute (relative ones against the page), or null. */
function httpUrl(value: string | undefined, base: string): string | null {
  if (!value) return null;
  try {
    const url = new URL(value.trim(), base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href.slice(0, 2048) : null;
  } catch {
    return null;
  }
}

/**
 * Title, description, image and site name of an HTML page, from its OpenGraph and Twitter card
 * meta tags, falling back to <title> and the description meta. Parsing stops at </head>.
 */
export function pageMeta(html: string, pageUrl: string): PageMeta {
  const meta = new Map<string, string>();
  let title = '';
  let inTitle = false;
  let done = false;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (done) return;
        if (name === 'title') inTitle = true;
        if (name !== 'meta') return;
        const key = (attributes.property ?? attributes.name ?? '').toLowerCase();
        if (key && attributes.content !== undefined && !meta.has(key)) meta.set(key, attributes.content);
      },
      ontext(text) {
        if (inTitle && !done) title += text;
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        if (name === 'head') done = true;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return {
    title: clean(meta.get('og:title') ?? meta.get('twitter:title') ?? title),
    description: clean(
      meta.get('og:description') ?? meta.get('twitter:description') ?? meta.get('description'),
    ),
    image: httpUrl(meta.get('og:image') ?? meta.get('og:image:url') ?? meta.get('twitter:image'), pageUrl),
    siteName: clean(meta.get('og:site_name')),
  };
}
