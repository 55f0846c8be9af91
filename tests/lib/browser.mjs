// Starts Debian's Chromium for browser tests, and keeps what a page
// complains about (console errors, uncaught exceptions, CSP violations) so a
// test can assert the page stayed clean.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { repoRoot, runRuche } from './server.mjs';

// The system's Chromium, headless; no network traffic of its own, so that
// only what the page does shows up.
export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-proxy-server',
    ],
  });
}

// Where screenshots go (RUCHE_SCREENSHOTS, or build/screenshots), created
// if missing.
export function screenshotDir() {
  const dir = process.env.RUCHE_SCREENSHOTS || path.join(repoRoot, 'build', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// Records a page's problems into the returned array, as strings:
// "console: ...", "pageerror: ...", "csp: ...".  Call before page.goto().
// CSP violations also reach the console, but the securitypolicyviolation
// event names the directive and cannot be missed by a change of wording.
export async function watchProblems(page) {
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const where = msg.location();
      problems.push(`console: ${msg.text()}${where.url ? ` (${where.url})` : ''}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.exposeFunction('__rucheReportCsp', (text) => problems.push(`csp: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__rucheReportCsp(
        `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} ` +
          `at ${e.sourceFile || '?'}:${e.lineNumber}`,
      );
    });
  });
  return problems;
}

// ---- People, hives and pages for the chat tests ---------------------------

export const PASSWORD = 'correct horse battery staple';

// Runs `ruche admin ARGS... --db DB`; throws with its stderr on failure.
export async function admin(server, args, input) {
  const r = await runRuche(['admin', ...args, '--db', server.dbPath], { input });
  if (r.code !== 0) throw new Error(`ruche admin ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// Makes an account (and puts it in hives): { handle, displayName }.
export async function makeUser(server, handle, { displayName = handle, isAdmin = false,
  hives = [] } = {}) {
  const args = ['create-user', handle, '--display-name', displayName, '--password-stdin'];
  if (isAdmin) args.push('--admin');
  await admin(server, args, `${PASSWORD}\n`);
  for (const [hive, role] of hives) {
    await admin(server, ['add-member', hive, handle, '--role', role]);
  }
  return { handle, displayName };
}

export async function makeHive(server, name, { description = '', capacity } = {}) {
  const args = ['create-hive', name];
  if (description) args.push('--description', description);
  if (capacity) args.push('--capacity', String(capacity));
  return admin(server, args);
}

// A page in a fresh browser context, logged in as handle through the
// login form, showing the chat.  options: colorScheme, size ('desktop' |
// 'phone'), locale.
export const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: {
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  },
};

export async function openPage(browser, url, { colorScheme = 'light', size = 'desktop',
  locale = 'en-US' } = {}) {
  // Reduced motion: drawers and highlights settle at once, so screenshots
  // and clicks never catch them half-way.
  const context = await browser.newContext({
    colorScheme, locale, reducedMotion: 'reduce', ...SIZES[size],
  });
  const page = await context.newPage();
  const problems = await watchProblems(page);
  await page.goto(url);
  return { context, page, problems };
}

export async function logIn(page, handle, password = PASSWORD) {
  await page.locator('#auth-title').waitFor();
  await page.fill('input[name=handle]', handle);
  await page.fill('input[name=password]', password);
  await page.click('#view-auth form button[type=submit]');
}

export async function openAs(browser, server, handle, options = {}) {
  const p = await openPage(browser, `${server.url}/`, options);
  await logIn(p.page, handle);
  await p.page.locator('body[data-view="chat"]').waitFor({ timeout: 10000 });
  return p;
}

// A bare WebSocket client logged in as handle (for messages sent from
// outside the browser): { call(op, params), events, close() }.
export async function wsAs(server, handle, password = PASSWORD) {
  const res = await fetch(`${server.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ handle, password }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`login ${handle}: ${JSON.stringify(body)}`);
  const ws = new WebSocket(server.wsUrl, 'ruche.v1');
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let nextId = 1;
  const waiting = new Map();
  const events = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if ('re' in msg && waiting.has(msg.re)) {
      const { resolve, reject } = waiting.get(msg.re);
      waiting.delete(msg.re);
      if (msg.ok) resolve(msg.data);
      else reject(Object.assign(new Error(`${msg.error.code}: ${msg.error.message}`), { code: msg.error.code }));
    } else if (msg.ev) {
      events.push(msg);
    }
  });
  const call = (op, params = {}) => new Promise((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, op, ...params }));
  });
  await call('auth', { token: body.token });
  return { call, events, user: body.user, close: () => ws.close() };
}
