import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Page,
  type LaunchOptions as PlaywrightLaunch,
} from 'playwright-core';

/** Where browser suites keep their screenshots (git-ignored; CI keeps them as artifacts). */
export const ARTIFACTS_DIR = join(import.meta.dirname, '../artifacts/web');

export interface LaunchOptions {
  /**
   * Chromium's fake microphone and camera (a beep and a test pattern), granted without asking:
   * for recording voice notes and for calls.
   */
  fakeMedia?: boolean;
}

function launchSettings(options: LaunchOptions): PlaywrightLaunch {
  const executablePath = execFileSync('scripts/test-env/ensure-chromium.sh', { encoding: 'utf8' }).trim();
  return {
    executablePath,
    headless: true,
    // Containers as root have no user namespaces for Chromium's sandbox.
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-gpu',
      ...(options.fakeMedia ? ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] : []),
    ],
  };
}

/**
 * Launches Debian's Chromium (scripts/test-env/ensure-chromium.sh installs it; Playwright's own
 * browser download cannot work here), headless, driven by playwright-core.
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch(launchSettings(options));
}

/** A browser user: its own context (cookies, storage, network) and page, with what went wrong in it. */
export interface BrowserUser {
  name: string;
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught exceptions and dialogs on the app's pages (an alert() would mean injected script ran). */
  problems: string[];
}

const VIEWPORT = { width: 1100, height: 720 };

function watchProblems(page: Page, baseUrl: string): string[] {
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
  return problems;
}

export async function newUser(browser: Browser, baseUrl: string, name: string): Promise<BrowserUser> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: VIEWPORT });
  const page = await context.newPage();
  return { name, context, page, problems: watchProblems(page, baseUrl) };
}

/**
 * A browser user with a browser profile of its own on disk, in its own Chromium. A context of
 * `newUser` is an incognito one, where Chromium refuses some things a person's browser does, such
 * as subscribing to Web Push. Closing its context closes that browser and removes the profile.
 */
export async function newProfileUser(
  baseUrl: string,
  name: string,
  options: LaunchOptions = {},
): Promise<BrowserUser> {
  const profile = mkdtempSync(join(tmpdir(), 'anychat-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    ...launchSettings(options),
    baseURL: baseUrl,
    viewport: VIEWPORT,
  });
  context.on('close', () => rmSync(profile, { recursive: true, force: true }));
  const page = context.pages()[0] ?? (await context.newPage());
  return { name, context, page, problems: watchProblems(page, baseUrl) };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`) });
}

/** Signs a browser user in with a password and waits until the app is up and its socket connected. */
export async function signIn(user: BrowserUser, account: string, password: string): Promise<void> {
  await user.page.goto('/');
  await user.page.fill('input[name=account]', account);
  await user.page.fill('input[name=password]', password);
  await user.page.click('[data-test=submit]');
  await user.page.locator('[data-test=me]', { hasText: user.name }).waitFor();
  await user.page.locator('[data-test=connection]').waitFor({ state: 'detached' });
}

/** Opens the conversation named `name` from the chats tab. */
export async function openChat(user: BrowserUser, name: string): Promise<void> {
  await user.page.click('[data-test=tab-chats]');
  await user.page.locator('[data-test=conversations] .conversation', { hasText: name }).click();
  await user.page.locator('[data-test=chat-title]', { hasText: name }).waitFor();
}
