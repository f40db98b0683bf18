import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where browser suites keep their screenshots (git-ignored; CI keeps them as artifacts). */
export const ARTIFACTS_DIR = join(import.meta.dirname, '../artifacts/web');

/**
 * Launches Debian's Chromium (scripts/test-env/ensure-chromium.sh installs it; Playwright's own
 * browser download cannot work here), headless, driven by playwright-core.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = execFileSync('scripts/test-env/ensure-chromium.sh', { encoding: 'utf8' }).trim();
  return chromium.launch({
    executablePath,
    headless: true,
    // Containers as root have no user namespaces for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** A browser user: its own context (cookies, storage, network) and page, with what went wrong in it. */
export interface BrowserUser {
  name: string;
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught exceptions and dialogs on the app's pages (an alert() would mean injected script ran). */
  problems: string[];
}

export async function newUser(browser: Browser, baseUrl: string, name: string): Promise<BrowserUser> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  const problems: string[] = [];
  // Only the app's own pages count: an identity provider's login page is not ours to judge.
  const ours = () => new URL(page.url()).origin === new URL(baseUrl).origin;
  page.on('console', (message) => {
    if (message.type() === 'error' && ours()) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { name, context, page, problems };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`) });
}
