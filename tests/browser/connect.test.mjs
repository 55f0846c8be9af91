// The browser client connects, shows the server's version and the login
// page, stays within the Content-Security-Policy, and finds its way back
// after the server restarts.  Screenshots of each theme and size go to
// screenshotDir().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import { launchBrowser, screenshotDir, watchProblems } from '../lib/browser.mjs';

const CONNECTED = '#conn-status[data-state="connected"]';

const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: {
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  },
};

let browser;
const servers = [];

async function serve(options) {
  const server = await startServer(options);
  servers.push(server);
  return server;
}

// A fresh page in its own context (theme, size, language).
async function openPage(server, { colorScheme = 'light', size = 'desktop', locale = 'en-US' } = {}) {
  const context = await browser.newContext({ colorScheme, locale, ...SIZES[size] });
  const page = await context.newPage();
  const problems = await watchProblems(page);
  const response = await page.goto(`${server.url}/`);
  return { context, page, problems, response };
}

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.stop()));
});

test('the page connects and shows the server version', { timeout: 60000 }, async () => {
  const server = await serve();
  const { context, page, problems, response } = await openPage(server);
  try {
    assert.equal(response.status(), 200);
    // The test only proves something if the page runs under the real policy.
    assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'self'/);

    await page.waitForSelector(CONNECTED, { timeout: 10000 });
    const status = page.locator('#conn-status');
    assert.equal(await status.getAttribute('role'), 'status');
    assert.equal(await status.getAttribute('aria-live'), 'polite');
    assert.equal((await status.textContent()).trim(), 'Connected');
    assert.equal(await page.locator('#server-version').textContent(), '0.1.0');
    assert.equal(await page.title(), 'Ruche');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');

    const icon = await page.request.get(`${server.url}/favicon.svg`);
    assert.equal(icon.status(), 200);
    assert.match(icon.headers()['content-type'], /^image\/svg\+xml/);

    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the page speaks French to a French browser', { timeout: 60000 }, async () => {
  const server = await serve();
  const { context, page, problems } = await openPage(server, { locale: 'fr-FR' });
  try {
    await page.waitForSelector(CONNECTED, { timeout: 10000 });
    await page.waitForFunction(() => document.documentElement.lang === 'fr');
    assert.equal((await page.locator('#conn-status').textContent()).trim(), 'Connecté');
    assert.equal(await page.locator('#auth-title').textContent(), 'Bienvenue sur Ruche');
    assert.equal(await page.locator('label[for]', { hasText: 'Mot de passe' }).count(), 1);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('screenshots: light and dark, desktop and phone', { timeout: 120000 }, async () => {
  const server = await serve();
  const dir = screenshotDir();
  const backgrounds = {};
  for (const colorScheme of ['light', 'dark']) {
    for (const size of Object.keys(SIZES)) {
      const { context, page, problems } = await openPage(server, { colorScheme, size });
      try {
        await page.waitForSelector(CONNECTED, { timeout: 10000 });
        await page.locator('#auth-title').waitFor();
        await page.evaluate(() => document.fonts.ready);
        backgrounds[colorScheme] = await page.evaluate(
          () => getComputedStyle(document.body).backgroundColor,
        );
        await page.screenshot({ path: path.join(dir, `login-${colorScheme}-${size}.png`) });
        assert.deepEqual(problems, [], `${colorScheme} ${size}`);
      } finally {
        await context.close();
      }
    }
  }
  assert.notEqual(backgrounds.light, backgrounds.dark, 'the dark theme applies');
});

test('the page reconnects when the server comes back', { timeout: 60000 }, async () => {
  const first = await serve();
  const { context, page, problems } = await openPage(first);
  // Everything the page logs, with the time, to explain a failure.
  const started = Date.now();
  const log = [];
  const note = (text) => log.push(`${String(Date.now() - started).padStart(6)} ms ${text}`);
  page.on('console', (msg) => note(`${msg.type()}: ${msg.text()}`));
  let second;
  // Waits for selector; on failure, says what the page and servers said.
  const waitFor = async (selector, timeout) => {
    try {
      await page.waitForSelector(selector, { timeout });
      note(`saw ${selector}`);
    } catch (err) {
      const state = await page.locator('#conn-status').getAttribute('data-state');
      err.message += `\nstate: ${state}\npage log:\n${log.join('\n')}` +
        `\nfirst server:\n${first.stderr}\nsecond server:\n${second?.stderr ?? '(not started)'}`;
      throw err;
    }
  };
  try {
    await waitFor(CONNECTED, 10000);

    const exit = await first.stop();
    note(`first server exited: ${JSON.stringify(exit)}`);
    assert.deepEqual(exit, { code: 0, signal: null }, first.stderr);

    // Right after the drop the page says it is reconnecting; once an
    // attempt has failed it says offline and shows the banner.
    await waitFor('#conn-status[data-state="offline"], #conn-status[data-state="connecting"]', 5000);
    await waitFor('#conn-status[data-state="offline"]', 5000);
    await page.locator('#conn-banner').waitFor({ state: 'visible' });
    await page.screenshot({ path: path.join(screenshotDir(), 'offline-login-light-desktop.png') });

    second = await serve({ port: first.port, dir: first.dir });
    note(`second server listening on ${second.url}`);
    assert.equal(second.port, first.port);
    await waitFor(CONNECTED, 15000);
    assert.equal(await page.locator('#server-version').textContent(), '0.1.0');
    assert.equal(await page.locator('#conn-banner').isVisible(), false);

    // While the server was away, Chromium logs each refused connection
    // as an error; those are expected, anything else is not.
    const unexpected = problems.filter(
      (p) => !/^console: WebSocket connection to '[^']+' failed/.test(p),
    );
    assert.deepEqual(unexpected, []);
  } finally {
    await context.close();
  }
});
