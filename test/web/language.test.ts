import { expect } from 'chai';
import { registerUser } from '../support/api-client.ts';
import { type BrowserUser, browserSuite, signIn } from '../support/browser.ts';

/**
 * Which language a fresh browser shows, in real Chromium with contexts of other locales than the
 * platform's (DEFAULT_LANGUAGE=zh-CN here): signed out, the first of the browser's languages the
 * client speaks, else the platform's, which the server writes into the page; signed in, the
 * account's language setting, whatever the browser says; a new account keeps the language it was
 * made in. Nothing logs a console error.
 */
describe('web client in Chromium: the language a fresh browser shows', function () {
  this.timeout(300_000);
  const web = browserSuite('language', { env: () => ({ DEFAULT_LANGUAGE: 'zh-CN' }) });
  const password = 'Passw0rd!lang';
  const run = Date.now().toString(36);
  /** A browser that never saw the app, in `locale` (its navigator.languages and Accept-Language). */
  const fresh = (name: string, locale: string) => web.user(name, { locale });
  /** An account made over the API (not as a Web device: the browser's sign-in would end that session). */
  const account = async (name: string, language: 'en' | 'zh-CN') => {
    const made = await registerUser(web.platform.api, {
      account: `${name}_${run}`,
      password,
      nickname: name,
      deviceType: 'iOS',
      deviceId: `ios-${name}`,
    });
    await web.platform.api.ok('PUT', '/api/v1/users/settings', {
      token: made.accessToken,
      body: { language },
    });
    return made;
  };
  const savedLanguage = async (user: BrowserUser) =>
    user.page.evaluate(async () => {
      const { accessToken } = JSON.parse(localStorage.getItem('anychat.auth') ?? '{}') as {
        accessToken: string;
      };
      const response = await fetch('/api/v1/users/settings', {
        headers: { Authorization: `Bearer ${accessToken}` },
      });
      return ((await response.json()) as { data: { language: string } }).data.language;
    });
  const submitSays = (user: BrowserUser, text: string) =>
    user.page.locator('[data-test=submit]', { hasText: text }).waitFor();
  const chatsTabSays = (user: BrowserUser, text: string) =>
    user.page.locator('[data-test=tab-chats]', { hasText: text }).waitFor();

  it('serves the page naming the platform language', async () => {
    const html = await (await fetch(`${web.platform.host.url}/`)).text();
    expect(html).to.include('<meta name="anychat-default-language" content="zh-CN"');
  });

  it('a browser in a language the client speaks shows it, though the platform speaks another', async () => {
    const british = await fresh('british', 'en-GB');
    await british.page.goto('/');
    await submitSays(british, 'Sign in');
    expect(await british.page.evaluate(() => navigator.languages)).to.deep.equal(['en-GB']);
    expect(await british.page.getAttribute('html', 'lang')).to.equal('en');
  });

  it('a browser in no language the client speaks shows the platform language', async () => {
    const french = await fresh('french', 'fr-FR');
    await french.page.goto('/');
    await submitSays(french, '登录');
    expect(await french.page.getAttribute('html', 'lang')).to.equal('zh-CN');
  });

  it("signed in, the account's language setting decides, and still does after a reload", async () => {
    await account('anna', 'en');
    await account('li', 'zh-CN');
    const anna = await fresh('anna', 'fr-FR');
    await anna.page.goto('/');
    await submitSays(anna, '登录');
    await signIn(anna, `anna_${run}`, password);
    await chatsTabSays(anna, 'Chats');

    const li = await fresh('li', 'en-US');
    await signIn(li, `li_${run}`, password);
    await chatsTabSays(li, '会话');
    await li.page.reload();
    await chatsTabSays(li, '会话');
  });

  it('a new account keeps the language it was made in, not the platform one', async () => {
    const maker = await fresh('maker', 'en-AU');
    await maker.page.goto('/');
    await maker.page.click('[data-test=switch-mode]');
    await maker.page.fill('input[name=account]', `maker_${run}`);
    await maker.page.fill('input[name=nickname]', 'maker');
    await maker.page.fill('input[name=password]', password);
    await maker.page.click('[data-test=submit]');
    await maker.page.locator('[data-test=me]', { hasText: 'maker' }).waitFor();
    await chatsTabSays(maker, 'Chats');
    expect(await savedLanguage(maker)).to.equal('en');
  });

  it('left no console error, uncaught exception or dialog in any browser', () => {
    for (const user of web.users) expect(user.problems, user.name).to.deep.equal([]);
  });
});
