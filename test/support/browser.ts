import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
  type LaunchOptions as PlaywrightLaunch,
} from 'playwright-core';
import { type ApiClient, registerUser } from './api-client.ts';
import { befriend } from './chat.ts';
import { startPlatform, type TestPlatform } from './platform.ts';
import { buildWebClient } from './web.ts';

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

/** `options`: more of the context's settings, such as the locale its navigator.languages and Accept-Language say. */
export async function newUser(
  browser: Browser,
  baseUrl: string,
  name: string,
  options: Omit<BrowserContextOptions, 'baseURL' | 'viewport'> = {},
): Promise<BrowserUser> {
  const context = await browser.newContext({ ...options, baseURL: baseUrl, viewport: VIEWPORT });
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

/**
 * People registered over the API (nickname: their name), the first a friend of each of the others:
 * their account names by person, for signing in from the browser (`signIn`) with `password`.
 */
export async function friendsOverApi(
  api: ApiClient,
  names: string[],
  password: string,
): Promise<Record<string, string>> {
  const users = [];
  for (const nickname of names) users.push(await registerUser(api, { nickname, password }));
  const [first, ...others] = users;
  for (const other of others) await befriend(api, first!, other);
  return Object.fromEntries(users.map((user, index) => [names[index]!, user.account]));
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

/** A browser suite's scene, ready once its `before` hook has run (hooks added later run after it). */
export interface BrowserSuite {
  /** The embedded platform serving the built web client. */
  readonly platform: TestPlatform;
  readonly browser: Browser;
  /** Everyone the suite made through `user` and `profileUser`: screenshotted and their problems printed when a test fails. */
  readonly users: BrowserUser[];
  /** A user in a context of the suite's Chromium (see newUser). */
  user(name: string, options?: Omit<BrowserContextOptions, 'baseURL' | 'viewport'>): Promise<BrowserUser>;
  /** A user in a Chromium of its own with a profile on disk (see newProfileUser), closed after the suite. */
  profileUser(name: string): Promise<BrowserUser>;
}

export interface BrowserSuiteOptions {
  /** The platform's environment, made in the `before` hook (servers the platform talks to start there). */
  env?: () => Record<string, string> | Promise<Record<string, string>>;
  launch?: LaunchOptions;
}

/**
 * What every browser suite does around its tests, as mocha hooks of the calling `describe`: builds
 * the web client, starts the embedded platform (PGlite) and launches Chromium; after a failed test,
 * a screenshot of each user's page (`<name>-failed-<user>.png` in ARTIFACTS_DIR) and what went
 * wrong in their pages; at the end, the browsers and the platform closed. The suite's own `after`
 * hooks run after these (the platform is stopped before the servers it used).
 */
export function browserSuite(name: string, options: BrowserSuiteOptions = {}): BrowserSuite {
  let platform: TestPlatform | undefined;
  let browser: Browser | undefined;
  const users: BrowserUser[] = [];
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is made in the browser suite's before hook`);
    return value;
  };
  const suite: BrowserSuite = {
    get platform() {
      return ready(platform, 'the platform');
    },
    get browser() {
      return ready(browser, 'the browser');
    },
    users,
    async user(userName, contextOptions = {}) {
      const user = await newUser(suite.browser, suite.platform.host.url, userName, contextOptions);
      users.push(user);
      return user;
    },
    async profileUser(userName) {
      const user = await newProfileUser(suite.platform.host.url, userName, options.launch);
      users.push(user);
      return user;
    },
  };
  before(async () => {
    buildWebClient();
    platform = await startPlatform('pglite', (await options.env?.()) ?? {});
    browser = await launchChromium(options.launch);
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const user of users) await screenshot(user.page, `${name}-failed-${user.name}`).catch(() => {});
    console.error('problems seen:', Object.fromEntries(users.map((user) => [user.name, user.problems])));
  });
  after(async () => {
    // A profile user's context is a Chromium of its own.
    for (const user of users) if (!user.context.browser()) await user.context.close();
    await browser?.close();
    await platform?.stop();
  });
  return suite;
}
