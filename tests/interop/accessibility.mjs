// The pages a person sees, in every shipped language, audited as WCAG 2.2 AA
// asks: axe-core on each page in the light and the dark colour scheme, the
// <html lang>, reflow at 320 CSS px without sideways scrolling, and the
// sign-in done with the keyboard alone (a visible focus, tab stops in
// document order). Screenshots of the notice at 320 and 1280 px go to the
// artifacts. The sign-in uses claimgate's dev provider and client "a11y".
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
export const LANGUAGES = ['en', 'de', 'fr', 'es'];
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/// Where client "a11y" returns: a page of its own (Playwright does not
/// route redirect hops, and Chromium refuses port 9).
export async function startA11yApp() {
  const server = http.createServer((_, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><html lang="en"><title>app</title><main><h1>Back at the app</h1></main></html>');
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/a11y`, server };
}

/// The config lines of the dev provider and the audited client.
export const a11yConfig = (returnUrl) => `[providers.dev]
kind = "dev"
[clients.a11y]
name = "Accessible app"
client_secret = "a11y-secret"
redirect_uris = ["${returnUrl}"]
claims = ["name", "email", "picture"]
optional_claims = ["picture"]
providers = ["dev"]
`;

function authorizeUrl(cg, returnUrl, extra = {}) {
  const q = new URLSearchParams({ client_id: 'a11y', redirect_uri: returnUrl, response_type: 'code', scope: 'openid profile email', state: 's', nonce: 'n', ...extra });
  return `${cg}/authorize?${q}`;
}

/// axe-core's violations on the page as it is, in `scheme`.
async function violations(page, scheme) {
  await page.emulateMedia({ colorScheme: scheme });
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.addScriptTag({ path: axePath });
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), WCAG);
  return result.violations.map((v) => `${scheme} ${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')}`);
}

/// Whether the page reflows at 320 CSS px: nothing wider than the viewport.
async function reflows(page) {
  await page.setViewportSize({ width: 320, height: 640 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.setViewportSize({ width: 1280, height: 900 });
  return { ok: width <= 320, width };
}

/// One page, audited: axe in light and dark, its language, reflow.
async function audit(page, lang, name, check) {
  const found = [...await violations(page, 'light'), ...await violations(page, 'dark')];
  await page.emulateMedia({ colorScheme: 'light' });
  const htmlLang = await page.getAttribute('html', 'lang');
  const reflow = await reflows(page);
  check(`[a11y ${lang}] ${name}: 0 axe violations (light and dark), lang="${lang}", reflows at 320 px`,
    found.length === 0 && htmlLang === lang && reflow.ok,
    `${found.join('; ')} lang=${htmlLang} width=${reflow.width}`);
}

/// What has the focus: its tag, and its name or text.
const focused = (page) => page.evaluate(() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  return {
    tag: e.tagName.toLowerCase(),
    type: e.getAttribute('type'),
    value: e.getAttribute('value'),
    text: (e.textContent || '').trim().slice(0, 60),
    visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
  };
});

/// Presses Tab until `wanted` has the focus (at most 20 times); returns the
/// tab stops passed and whether every one showed its focus.
async function tabTo(page, wanted) {
  const stops = [];
  for (let i = 0; i < 20; i += 1) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if (!now) continue;
    stops.push(now);
    if (wanted(now)) return { found: true, stops, visible: stops.every((s) => s.visible) };
  }
  return { found: false, stops, visible: false };
}

/// The page's tab stops in document order, as `focused` describes them.
const documentOrder = (page) => page.evaluate(() => [...document.querySelectorAll('a[href], button, input:not([type=hidden])')]
  .map((e) => ({ tag: e.tagName.toLowerCase(), text: (e.textContent || '').trim().slice(0, 60), value: e.getAttribute('value') })));

/// Tabs through the whole page: the order matches the document's, every
/// stop shows its focus, and the focus leaves the page (no trap).
async function tabOrder(page) {
  const expected = await documentOrder(page);
  await page.evaluate(() => document.activeElement?.blur());
  const seen = [];
  for (let i = 0; i < expected.length + 2; i += 1) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if (!now) break;
    seen.push(now);
  }
  const same = expected.length === seen.slice(0, expected.length).length
    && expected.every((e, i) => seen[i] && e.tag === seen[i].tag && e.text === seen[i].text && e.value === seen[i].value);
  return { ok: same && seen.slice(0, expected.length).every((s) => s.visible), expected: expected.length, seen: seen.length };
}

export async function accessibilityAudit({ browser, cg, returnUrl, artifacts, check }) {
  for (const lang of LANGUAGES) {
    const context = await browser.newContext({ locale: lang, bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const atApp = () => page.url().startsWith(returnUrl) && new URL(page.url()).searchParams.has('code');

    // The notice, before the user is known; then the keyboard-only sign-in.
    await page.goto(authorizeUrl(cg, returnUrl));
    await audit(page, lang, 'notice', check);
    for (const width of [320, 1280]) {
      await page.setViewportSize({ width, height: width === 320 ? 640 : 900 });
      await page.screenshot({ path: path.join(artifacts, `notice-${lang}-${width}.png`), fullPage: true });
    }
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(artifacts, `notice-${lang}-1280-dark.png`), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    const toProvider = await tabTo(page, (f) => f.tag === 'button' && f.value === 'dev');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await audit(page, lang, 'dev provider page', check);
    const toSignIn = await tabTo(page, (f) => f.tag === 'button');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    // The optional picture is chosen now that the user is known: the notice
    // again, with its checkbox; left unticked.
    await audit(page, lang, 'notice with choices, after signing in', check);
    const toChoose = await tabTo(page, (f) => f.tag === 'button');
    await Promise.all([page.waitForURL(`${returnUrl}**`), page.keyboard.press('Enter')]);
    check(`[a11y ${lang}] keyboard only: Tab to the provider's button, the dev page's button and the notice's, Enter each, signed in; focus visible at every stop`,
      toProvider.found && toSignIn.found && toChoose.found && [toProvider, toSignIn, toChoose].every((t) => t.visible) && atApp(),
      `${JSON.stringify([toProvider.stops, toSignIn.stops, toChoose.stops])} ${page.url()}`);

    // The notice with its choices (a known user): tick the picture with Space.
    await page.goto(authorizeUrl(cg, returnUrl, { prompt: 'consent' }));
    await audit(page, lang, 'notice with choices', check);
    const order = await tabOrder(page);
    check(`[a11y ${lang}] notice with choices: tab stops in document order, each with a visible focus, no trap`, order.ok, JSON.stringify(order));
    await page.evaluate(() => document.activeElement?.blur());
    const toBox = await tabTo(page, (f) => f.tag === 'input' && f.type === 'checkbox');
    await page.keyboard.press('Space');
    const ticked = await page.isChecked('input[name=claim][value=picture]');
    const toContinue = await tabTo(page, (f) => f.tag === 'button');
    await Promise.all([page.waitForURL(`${returnUrl}**`), page.keyboard.press('Enter')]);
    check(`[a11y ${lang}] keyboard only: the picture ticked with Space, Enter continues`, toBox.found && ticked && toContinue.found && atApp(), page.url());

    // /me, with the picture the keyboard chose; then sign-out.
    await page.goto(`${cg}/me`);
    await audit(page, lang, '/me', check);
    const meOrder = await tabOrder(page);
    check(`[a11y ${lang}] /me: tab stops in document order, each with a visible focus, no trap`, meOrder.ok, JSON.stringify(meOrder));
    check(`[a11y ${lang}] /me offers to stop sharing the picture the keyboard ticked`, (await page.$('form input[name=claim][value=picture]')) !== null);
    await page.goto(`${cg}/logout`);
    await audit(page, lang, 'sign-out confirmation', check);
    await Promise.all([page.waitForNavigation(), page.click('form button')]);
    await audit(page, lang, 'signed out', check);
    await page.goto(`${cg}/me`);
    await audit(page, lang, '/me, not signed in', check);

    // Error pages: a request refused, and the edge's limit page.
    await page.goto(`${cg}/authorize?client_id=nobody`);
    await audit(page, lang, 'error page', check);
    await page.goto(`${cg}/authorize?padding=${'x'.repeat(20000)}`);
    await audit(page, lang, 'request-too-long page (the edge limits\' page, as 429)', check);

    // Sign in again, then "Delete my data".
    await page.goto(authorizeUrl(cg, returnUrl));
    await Promise.all([page.waitForNavigation(), page.click('button[name=provider]')]);
    await Promise.all([page.waitForNavigation(), page.click('form button')]);
    if (!page.url().startsWith(returnUrl)) await Promise.all([page.waitForURL(`${returnUrl}**`), page.click('form button')]);
    await page.goto(`${cg}/me`);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/me/erase"] button')]);
    await audit(page, lang, 'data deleted', check);
    await context.close();
  }
}
