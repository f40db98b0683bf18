/**
 * The web client on a long conversation: `scripts/node24 node test/bench/web-long-conversation.bench.ts
 * [messages] [pglite|postgresql]` (default 10,000 on PostgreSQL). Two users, `messages` one-to-one
 * messages sent over the REST API; the receiver signs in in headless Chromium (Debian's, through
 * playwright-core) and opens the conversation; the page then scrolls up by 400 px a frame through
 * the history (loading older pages as it goes) while requestAnimationFrame records frame times and
 * the page counts the message rows it holds. Results go to BENCHMARKS.md by hand.
 */
import { loadavg } from 'node:os';
import { registerUser } from '../support/api-client.ts';
import { launchChromium } from '../support/browser.ts';
import { befriend } from '../support/chat.ts';
import { startPlatform } from '../support/platform.ts';
import { buildWebClient } from '../support/web.ts';

const TOTAL = Number(process.argv[2] ?? 10_000);
const BACKEND = (process.argv[3] ?? 'postgresql') as 'pglite' | 'postgresql';
const PARALLEL = 16;
const FRAMES = 600;

buildWebClient();
const platform = await startPlatform(BACKEND);
try {
  const alice = await registerUser(platform.api, { nickname: 'alice' });
  const bob = await registerUser(platform.api, { nickname: 'bob' });
  await befriend(platform.api, alice, bob);

  const sendStarted = performance.now();
  for (let start = 0; start < TOTAL; start += PARALLEL)
    await Promise.all(
      Array.from({ length: Math.min(PARALLEL, TOTAL - start) }, (_, i) =>
        platform.api.ok('POST', '/api/v1/messages', {
          token: alice.accessToken,
          body: {
            sessionType: 'single',
            targetId: bob.userId,
            contentType: 'text',
            content: `message ${start + i + 1}${(start + i) % 7 === 0 ? ' — a longer line that wraps in the bubble, to give rows different heights in the list' : ''}`,
            clientMsgId: `bench-${start + i}`,
          },
        }),
      ),
    );
  const sendSeconds = (performance.now() - sendStarted) / 1000;

  const browser = await launchChromium();
  const page = await browser.newPage({ baseURL: platform.host.url, viewport: { width: 1100, height: 720 } });
  await page.goto('/');
  await page.fill('input[name=account]', bob.account);
  await page.fill('input[name=password]', bob.password);
  await page.click('[data-test=submit]');
  await page.locator('[data-test=conversations] .conversation').first().waitFor();

  const openStarted = performance.now();
  await page.locator('[data-test=conversations] .conversation').first().click();
  await page.locator('[data-test=text]', { hasText: `message ${TOTAL}` }).waitFor();
  const openMs = performance.now() - openStarted;

  const scroll = await page.evaluate(async (frames) => {
    const scroller = document.querySelector<HTMLElement>('[data-test=messages]')!;
    const intervals: number[] = [];
    let maxRows = 0;
    let last = performance.now();
    for (let frame = 0; frame < frames; frame++) {
      scroller.scrollTop = Math.max(0, scroller.scrollTop - 400);
      await new Promise(requestAnimationFrame);
      const now = performance.now();
      intervals.push(now - last);
      last = now;
      maxRows = Math.max(maxRows, document.querySelectorAll('[data-test=messages] .row').length);
    }
    const texts = [...document.querySelectorAll('[data-test=messages] [data-test=text]')].map(
      (e) => e.textContent,
    );
    return { intervals, maxRows, firstShown: texts[0] ?? '' };
  }, FRAMES);
  const loaded = await page.evaluate(
    () => document.querySelector('[data-test=messages] .rows')?.clientHeight ?? 0,
  );
  await browser.close();

  const sorted = [...scroll.intervals].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  console.log(
    JSON.stringify(
      {
        backend: BACKEND,
        messages: TOTAL,
        sendSeconds: Number(sendSeconds.toFixed(1)),
        openMs: Math.round(openMs),
        frames: FRAMES,
        frameMs: { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1)!.toFixed(1) },
        framesOver50ms: scroll.intervals.filter((ms) => ms > 50).length,
        maxRowsInPage: scroll.maxRows,
        listHeightPx: loaded,
        topRowAfterScrolling: scroll.firstShown,
        load: loadavg().map((l) => l.toFixed(2)),
      },
      null,
      2,
    ),
  );
} finally {
  await platform.stop();
}
